"""The real multi-shot clip ``../shared/data/intel_multishot`` through the whole pipeline.

    python -m benchmarks.intel_clip [--json OUT]

4 shots, 4 people (woman_A in shots 0, 2, 3; man_B in shots 0, 1). The labels give each
shot's people left to right but no boxes, so a track's true identity is its left-to-right
rank among the shot's usable tracks, when the shot has exactly as many usable tracks as
people (otherwise its tracks are not scored and that is reported). Prints cuts found,
tracks, and per method the identities found and the track-level metrics.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from benchmarks.photo_tracks import DATA_ROOT
from benchmarks.report import write_json

CLIP = DATA_ROOT / "intel_multishot"
METHODS = ("parameter_free", "parameter_free@no_looks", "parameter_free@all_below",
           "parameter_free@centroid", "c1c", "finch", "hac_threshold")


def track_truth(labels: dict, faces) -> tuple[dict[int, str], list[int]]:
    """``{track: person}`` by left-to-right rank per shot, and the shots that could not be
    labelled (usable track count != people count)."""
    truth, unlabelled = {}, []
    for shot in labels["shots"]:
        a, b = shot["start_frame"] + 1, shot["end_frame"] + 1  # FiftyOne frames are 1-based
        tracks: dict[int, list[float]] = {}
        for fn, x, idx, lab in faces:
            if a <= fn <= b and idx is not None and lab != "unknown":
                tracks.setdefault(idx, []).append(x)
        if len(tracks) != len(shot["identities"]):
            unlabelled.append(shot["shot"])
            continue
        order = sorted(tracks, key=lambda t: np.mean(tracks[t]))
        truth.update(zip(order, shot["identities"]))
    return truth, unlabelled


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapt", action="store_true",
                    help="also adapt on the clip and run the adapted variants")
    ap.add_argument("--adapt-config", default=None)
    ap.add_argument("--adapt-matching", default="gaussian", choices=["gaussian", "parameter_free"])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if not CLIP.is_dir():
        print(f"skipped: {CLIP} is absent (benchmark data lives only in ../shared/data)")
        return 0
    import fiftyone as fo

    from benchmarks.naive_peer import run_peer
    from benchmarks.run_quality import ADAPTED_METHODS, variant
    from fiftyone_plugin import api
    from fiftyone_plugin.evaluation import evaluate_tracks

    labels = json.loads((CLIP / "labels.json").read_text())
    ds = fo.Dataset()
    try:
        ds.add_sample(fo.Sample(filepath=str(CLIP / "composite_multishot_ccby.mp4")))
        summary = api.find_identities(ds)
        cuts = sorted(d.support[0] for d in ds.first().shots.detections)[1:]
        report = dict(cuts_found=[c - 1 for c in cuts], cuts_true=[56, 118, 159],
                      tracks=summary["num_tracks"], methods={})
        methods = list(METHODS) + ["naive_peer"]
        if args.adapt:
            cpu, wall = time.process_time(), time.perf_counter()
            api.adapt_faces(ds, config=args.adapt_config, cfg_options={
                "custom_hooks.0.matching.method": args.adapt_matching})
            report["adaptation"] = dict(matching=args.adapt_matching,
                cpu_minutes=round((time.process_time() - cpu) / 60, 2),
                wall_minutes=round((time.perf_counter() - wall) / 60, 2))
            methods += [m for m in ADAPTED_METHODS if not m.startswith("hac_k")]
        for method in methods:
            base, extra = variant(method)
            field = f"frames.pred_{method.replace('@', '_')}"
            if method == "naive_peer":
                ds.compute_metadata()
                run_peer(ds, ds.first().id, field)
            else:
                api.cluster_faces(ds, out_field=field, method=base,
                                  run_key=method.replace("@", "_"), save_views=False,
                                  **extra)
            numbers, boxes, idx, labs = ds.values(
                ["frames.frame_number", f"{field}.detections.bounding_box",
                 f"{field}.detections.index", f"{field}.detections.label"])
            faces = [(fn, b[0] + b[2] / 2, i, lab)
                     for fn, fb, fi, fl in zip(numbers[0], boxes[0], idx[0], labs[0])
                     for b, i, lab in zip(fb or [], fi or [], fl or [])]
            truth, unlabelled = track_truth(labels, faces)
            label_of = {i: lab for _, _, i, lab in faces}
            tracks = sorted(truth)
            scores = evaluate_tracks([truth[t] for t in tracks], [label_of[t] for t in tracks])
            found = sorted({label_of[t] for t in label_of if label_of[t] != "unknown"})
            report["methods"][method] = dict(
                identities_found=len(found), identities_true=len(labels["identities"]),
                scored_tracks=len(tracks), unlabelled_shots=unlabelled,
                bcubed_f=round(scores["track"]["bcubed_f"], 4),
                wcp=round(scores["track"]["wcp"], 4), nmi=round(scores["track"]["nmi"], 4),
                assignment=[(truth[t], label_of[t]) for t in tracks])
            print(method, json.dumps(report["methods"][method]), flush=True)
        print(json.dumps({k: v for k, v in report.items() if k != "methods"}))
        write_json(args.json, report)
    finally:
        ds.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
