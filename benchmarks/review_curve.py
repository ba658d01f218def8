"""How much a few answers help: track BCubed F against the number of review questions
answered, ours (closest pairs first) against random pairs, answers from the ground truth.

    python -m benchmarks.review_curve --videos benchmarks/out/multishot_lfw [--only NAME ...]
        [--stride 1] [--budget 0 1 2 3 5 10 20] [--json OUT]

Runs ``find_identities`` on a multi-shot manifest (``benchmarks.make_multishot``), then for
each strategy clusters into a field of its own and answers questions one by one: "same
person?" is answered from the ground truth (the majority person of each identity's tracks,
faces matched by IoU), each answer re-clusters (``api.answer_question``), and the track
BCubed F is measured at each budget. Random pairs are drawn among the identities of one
video (the run clusters per video). Skips cleanly without the benchmark data.
"""
from __future__ import annotations

import argparse
import random
from collections import Counter

import numpy as np

from benchmarks.report import write_json


def _xyxy(boxes) -> np.ndarray:
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)


def true_people(dataset, faces_field: str = "frames.faces",
                gt_field: str = "frames.gt_faces") -> dict[tuple[str, int], str]:
    """Each predicted track's person: the majority label of its faces matched (IoU 0.5)."""
    from fiftyone_plugin.evaluation.protocols import match_faces, track_identities

    out = {}
    f, g = faces_field.split(".", 1)[1], gt_field.split(".", 1)[1]
    ids, frames, boxes, index, gframes, gboxes, glabels = dataset.values(
        ["id", "frames.frame_number", f"frames.{f}.detections.bounding_box",
         f"frames.{f}.detections.index", "frames.frame_number",
         f"frames.{g}.detections.bounding_box", f"frames.{g}.detections.label"])
    for sid, fn, fb, fi, gfn, gb, gl in zip(ids, frames, boxes, index, gframes, gboxes,
                                            glabels):
        pf = [n for n, bs in zip(fn, fb) for _ in (bs or [])]
        pb = [b for bs in fb for b in (bs or [])]
        pt = [t for ts in fi for t in (ts or [])]
        tf = [n for n, bs in zip(gfn, gb) for _ in (bs or [])]
        tb = [b for bs in gb for b in (bs or [])]
        tl = [lab for ls in gl for lab in (ls or [])]
        match = match_faces(pf, _xyxy(pb), tf, _xyxy(tb))
        labels = [tl[j] if j >= 0 else None for j in match]
        for t, (person, _) in track_identities(pt, labels).items():
            if t is not None and person is not None:
                out[(sid, int(t))] = person
    return out


def _person(api, dataset, identity: str, run_key: str, people) -> str | None:
    """The majority person of an identity's tracks."""
    from fiftyone_plugin.api.corrections import _state, clustering_run

    _, results = clustering_run(dataset, run_key)
    _, _, labels, _ = _state(results)
    votes = Counter(people[t] for t, i in labels.items() if i == identity and t in people)
    return votes.most_common(1)[0][0] if votes else None


def _random_question(api, dataset, run_key: str, rng: random.Random):
    from fiftyone_plugin.api.corrections import _state, clustering_run

    _, results = clustering_run(dataset, run_key)
    _, _, labels, _ = _state(results)
    per_video: dict[str, set] = {}
    for (sid, _), i in labels.items():
        if i != "not_a_face":
            per_video.setdefault(sid, set()).add(i)
    pairs = [(a, b) for ids in per_video.values() for a in sorted(ids) for b in sorted(ids)
             if a < b]
    return rng.choice(pairs) if pairs else None


def curve(api, dataset, strategy: str, budget: list[int], people, seed: int = 0) -> list:
    field, key = f"frames.review_{strategy}", f"review_{strategy}"
    api.cluster_faces(dataset, out_field=field, run_key=key, save_views=False)
    rng = random.Random(seed)
    points, answered = [], 0
    for target in sorted(budget):
        while answered < target:
            if strategy == "ours":
                qs = api.review_questions(dataset, run_key=key, k=1)
                if not qs:
                    break
                a, b = qs[0]["a"], qs[0]["b"]
            else:
                pair = _random_question(api, dataset, key, rng)
                if pair is None:
                    break
                a, b = pair
            pa, pb = (_person(api, dataset, i, key, people) for i in (a, b))
            try:
                api.answer_question(dataset, a, b, same=pa is not None and pa == pb,
                                    run_key=key)
            except ValueError:  # "same" for tracks sharing a frame: a wrong truth match
                api.answer_question(dataset, a, b, same=False, run_key=key)
            answered += 1
        report = api.evaluate_identities(dataset, pred_field=field, eval_key=f"eval_{key}",
                                         per_video=True)
        points.append(dict(questions=answered, bcubed_f=round(report["track"]["bcubed_f"], 4),
                           wcp=round(report["track"]["wcp"], 4),
                           k=report["track"]["num_predicted"]))
        print(f"{strategy:<7} {answered:>3} questions: track BCubed F "
              f"{points[-1]['bcubed_f']:.4f}, WCP {points[-1]['wcp']:.4f}, "
              f"K {points[-1]['k']}", flush=True)
    return points


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", default="benchmarks/out/multishot_lfw")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--budget", type=int, nargs="+", default=[0, 1, 2, 3, 5, 10, 20])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from benchmarks.make_multishot import find_manifest, load_manifest

    manifest = find_manifest(args.videos)
    if manifest is None:
        return 0

    import fiftyone as fo

    from fiftyone_plugin import api

    dataset = fo.Dataset()
    try:
        load_manifest(dataset, manifest, names=args.only)
        dataset.compute_metadata()
        api.find_identities(dataset, frame_stride=args.stride)
        people = true_people(dataset)
        out = dict(videos=str(args.videos), only=args.only, stride=args.stride,
                   tracks_with_truth=len(people),
                   ours=curve(api, dataset, "ours", args.budget, people),
                   random=curve(api, dataset, "random", args.budget, people))
    finally:
        dataset.delete()
    write_json(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
