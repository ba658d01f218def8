"""How long the Identities panel takes to show a run, against the number of tracks: the
library calls it makes on load (identities with screen time and sharpest face, the faces as
JPEG data URLs, review questions), on opening the largest identity (its tracks and their
faces), on *Clips* (the clips view) and on *Track map* (the 2-D map). Medians of
``--repeat`` runs, on episode videos from ``benchmarks.make_multishot --minutes``.

    python -m benchmarks.panel_load --videos benchmarks/out/episode_lfw \\
        --only episode_0_00_2min episode_0_00_10min --stride 5 --json benchmarks/out/panel.json
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.report import write_json


def _median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times), 3)


def measure(video: Path, stride: int, repeat: int) -> dict:
    import fiftyone as fo

    from fiftyone_plugin import api
    from fiftyone_plugin.panels.identities import QUESTIONS, TRACKS_SHOWN, data_url

    dataset = fo.Dataset()
    try:
        dataset.add_sample(fo.Sample(filepath=str(video)))
        t = time.perf_counter()
        api.find_identities(dataset, frame_stride=stride)
        pipeline_s = time.perf_counter() - t
        rows = api.list_identities(dataset)
        largest = rows[0]["id"]

        def cards():
            rows = api.list_identities(dataset)
            for crop in api.face_crops(dataset, [tuple(r["best"]) for r in rows]):
                data_url(crop)

        def opened():
            tracks = api.identity_tracks(dataset, largest)[:TRACKS_SHOWN]
            for crop in api.face_crops(dataset, [(t["sample_id"], t["best"]) for t in tracks]):
                data_url(crop)

        result = dict(
            video=video.name, tracks=len(dataset.to_trajectories("frames.identities")),
            identities=len(rows), pipeline_s=round(pipeline_s, 1),
            load_cards_s=_median_s(cards, repeat),
            load_review_s=_median_s(lambda: api.review_questions(dataset, k=QUESTIONS),
                                    repeat),
            open_largest_s=_median_s(opened, repeat),
            largest_tracks=rows[0]["tracks"],
            clips_view_s=_median_s(lambda: len(api.identity_clips(dataset, largest)), repeat),
            track_map_s=_median_s(lambda: api.map_tracks(dataset), repeat))
        result["load_s"] = round(result["load_cards_s"] + result["load_review_s"], 3)
        return result
    finally:
        dataset.delete()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", required=True, help="folder of make_multishot videos")
    p.add_argument("--only", nargs="+", required=True, help="video names, without .mp4")
    p.add_argument("--stride", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    folder = Path(args.videos)
    if not folder.is_dir():
        print(f"skipped: {folder} not found (make it with benchmarks.make_multishot)")
        return 0
    rows = []
    for name in args.only:
        rows.append(measure(folder / f"{name}.mp4", args.stride, args.repeat))
        print(rows[-1], flush=True)
    if args.json:
        write_json(args.json, dict(stride=args.stride, repeat=args.repeat, rows=rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
