"""What failures cost: up-front checks, a resumed rerun, and a run killed mid-batch.

    python -m benchmarks.recovery [--videos 4] [--minutes 1] [--stride 5] [--json OUT]

Builds the demo video looped to ``--minutes`` and copies it ``--videos`` times, then times on
one dataset: the checks before any model loads (each video probed and its last frames
decoded), an uninterrupted ``find_identities``, a rerun with nothing to redo, and a run
killed (SIGKILL, in a subprocess) while writing the last video followed by the rerun that
finishes it; the killed-then-resumed dataset is compared with the uninterrupted one. Needs no
benchmark data.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.looped_demo import looped
from benchmarks.report import write_json

ROOT = Path(__file__).resolve().parents[1]


def _identities(ds) -> list:
    return ds.values("frames.identities.detections.label")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import fiftyone as fo

    from fiftyone_plugin import api
    from fiftyone_plugin.api.checks import check_videos, checking
    from fiftyone_plugin.assets import cache_dir
    from fiftyone_plugin.demo import build_demo_video

    work = Path(tempfile.mkdtemp(prefix="vfc-recovery-"))
    demo, _ = build_demo_video(cache_dir() / "demo")
    first = looped(demo, args.minutes, work / "v0.mp4")
    paths = [first] + [shutil.copy(first, work / f"v{k}.mp4") for k in range(1, args.videos)]
    names = [f"vfc-recovery-{os.getpid()}-{k}" for k in range(2)]
    reference, killed = (fo.Dataset(n, persistent=True) for n in names)
    for ds in (reference, killed):
        ds.add_samples([fo.Sample(filepath=str(p)) for p in paths])
    res = {}
    try:
        t = time.perf_counter()
        with checking() as check:
            check_videos(reference, check)
        res["checks_s"] = round(time.perf_counter() - t, 2)

        t = time.perf_counter()
        api.find_identities(reference, frame_stride=args.stride)
        res["uninterrupted_s"] = round(time.perf_counter() - t, 1)

        t = time.perf_counter()
        summary = api.find_identities(reference, frame_stride=args.stride)
        res["rerun_nothing_to_do_s"] = round(time.perf_counter() - t, 1)
        res["rerun_resumed_videos"] = summary["resumed"]

        script = ("import fiftyone as fo; from fiftyone_plugin import api; "
                  f"api.find_identities(fo.load_dataset({killed.name!r}), "
                  f"frame_stride={args.stride})")
        env = dict(os.environ, PYTHONPATH=str(ROOT),
                   VFC_KILL_AT=f"video-faces-written#{args.videos}")
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
        res["killed_run_s"] = round(time.perf_counter() - t, 1)
        res["killed_exit_code"] = done.returncode
        killed.reload()
        t = time.perf_counter()
        summary = api.find_identities(killed, frame_stride=args.stride)
        res["resume_after_kill_s"] = round(time.perf_counter() - t, 1)
        res["resume_after_kill_resumed_videos"] = summary["resumed"]
        res["resumed_equals_uninterrupted"] = _identities(killed) == _identities(reference)
    finally:
        for n in names:
            fo.delete_dataset(n)
        shutil.rmtree(work, ignore_errors=True)
    res.update(videos=args.videos, minutes=args.minutes, stride=args.stride)
    for k, v in res.items():
        print(f"{k:<36} {v}")
    if args.json:
        write_json(args.json, res)


if __name__ == "__main__":
    main()
