"""The bundled demo video (3 people) looped to episode lengths, as a new user tries it.

    python -m benchmarks.looped_demo [--minutes 1 2 5 10] [--stride 5] [--json OUT]

Loops the demo with ffmpeg (stream copy), runs ``find_identities`` on each length in its own
dataset (``--stride`` as ``vfc run --stride``), then every track method re-clusters the
stored tracks. Reports identities found against the true 3, their purity, tracks, pipeline
and clustering seconds and the peak RSS. Needs no benchmark data (the demo's photos come
from registry packages). The 1- and 2-minute cases are also a test (tests/test_long_videos).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.report import write_json

METHODS = ("parameter_free", "c1c", "finch", "hac_threshold")


def looped(video, minutes: float, out: Path) -> str:
    """``video`` repeated until it lasts ``minutes`` (stream copy, no re-encoding)."""
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-stream_loop", "-1", "-i",
                    str(video), "-t", str(minutes * 60), "-c", "copy", str(out)], check=True)
    return str(out)


def identities_per_video(samples, gt, demo_frames: int,
                         field: str = "identities") -> dict[str, dict[str, Counter]]:
    """Per video: ``{identity: Counter(true person)}`` over its faces (``unknown`` left out)."""
    from fiftyone_plugin.demo import true_identity

    out = {}
    for sample in samples.select_fields(f"frames.{field}"):
        w, h = sample.metadata.frame_width, sample.metadata.frame_height
        found: dict[str, Counter] = {}
        for n, frame in sample.frames.items():
            for d in frame[field].detections if frame[field] else []:
                if d.label == "unknown":
                    continue
                x, y, bw, bh = d.bounding_box
                who = true_identity(gt, (n - 1) % demo_frames + 1,
                                    (x * w, y * h, (x + bw) * w, (y + bh) * h))
                found.setdefault(d.label, Counter())[who] += 1
        out[sample.filepath] = found
    return out


def _score(found: dict[str, Counter]) -> dict:
    total = sum(sum(c.values()) for c in found.values())
    pure = sum(c.most_common(1)[0][1] for c in found.values())
    return dict(identities=len(found), wcp=round(pure / max(total, 1), 4))


def run(minutes: list[float], stride: int) -> list[dict]:
    import fiftyone as fo

    from benchmarks.run_quality import peak_rss_mb
    from fiftyone_plugin import api
    from fiftyone_plugin.demo import build_demo_video, ground_truth

    rows = []
    with tempfile.TemporaryDirectory(prefix="vfc-looped-") as tmp:
        video, placements = build_demo_video(tmp)
        gt = ground_truth(placements)
        for m in minutes:
            ds = fo.Dataset()
            try:
                ds.add_sample(fo.Sample(filepath=looped(video, m, Path(tmp) / f"{m}.mp4")))
                ds.compute_metadata()
                t0 = time.perf_counter()
                summary = api.find_identities(ds, frame_stride=stride)
                row = dict(minutes=m, tracks=summary["num_tracks"], true_k=3,
                           pipeline_seconds=round(time.perf_counter() - t0, 1))
                for method in METHODS:
                    t0 = time.perf_counter()
                    api.cluster_faces(ds, method=method, out_field=f"frames.{method}",
                                      run_key=method, save_views=False)
                    found, = identities_per_video(ds, gt, len(gt), method).values()
                    row[method] = dict(_score(found),
                                       seconds=round(time.perf_counter() - t0, 2))
                row["peak_rss_mb"] = peak_rss_mb()
            finally:
                ds.delete()
            rows.append(row)
            print(row, flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 2, 5, 10])
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    write_json(args.json, run(args.minutes, args.stride))
    return 0


if __name__ == "__main__":
    sys.exit(main())
