"""Which tracks the default clusters wrongly on generated videos, and what they share.

    python -m benchmarks.track_errors --videos DIR [--only NAME ...] [--stride 5] \
        [--dlib] [--json OUT]

``DIR`` holds the videos and ``manifest.json`` of :mod:`benchmarks.make_multishot`. The
pipeline runs once (``find_identities``); each track gets its true person (the majority of
its faces matched to the true faces, IoU >= 0.5) and the default's identity. A person's
*home* is the identity holding most of its tracks; a track is an error when it is not in
its person's home (split off, or left ``unknown`` while the person has an identity) or
when its identity belongs to another person (mixed in). For every error track: its faces,
median sharpness (variance of the Laplacian of the aligned crop, what the quality rules
read), median face size, and the cosine distance of its mean face direction from its
person's home and from the nearest other identity (each without the track itself: a guest
whose only track joined another person has that person's identity as home); then the same
medians over all tracks.

``--dlib`` also clusters every video with dlib's ResNet-29 descriptors of the same faces
(our boxes, dlib's 5-point shape and face chip; a benchmark-only install, as in
:mod:`benchmarks.second_embedder`) and with SFace and dlib together (the usual score fusion:
the mean of the two cosines), and reports K / track BCubed F / WCP for each, unknown tracks
counted as identities of their own.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.report import write_json
from fiftyone_plugin.clustering.common import unit


def true_tracks(table, video: dict) -> dict[int, str]:
    """Each track's true person: the majority label of its faces matched to the true ones."""
    from fiftyone_plugin.evaluation.protocols import match_faces, track_identities

    gt = [(int(n), f["label"], f["bbox"]) for n, faces in video["frames"].items()
          for f in faces]
    size = np.array([video["width"], video["height"]] * 2, np.float64)
    boxes = table.boxes.astype(np.float64) / size
    boxes[:, 2:] -= boxes[:, :2]  # xyxy -> xywh, relative like the manifest
    match = match_faces(table.frames, boxes, [g[0] for g in gt], [g[2] for g in gt])
    labels = [gt[j][1] if j >= 0 else None for j in match]
    keep = table.tracks >= 0
    out = track_identities(table.tracks[keep], [lab for lab, k in zip(labels, keep) if k])
    return {int(t): lab for t, (lab, _) in out.items() if lab is not None}


def score(truth: dict[int, str], identity: dict[int, int]) -> dict:
    """K / track BCubed F / WCP, a track left out (``unknown``) counted as its own identity."""
    from fiftyone_plugin.evaluation.protocols import evaluate_tracks

    tracks = sorted(truth)
    m = evaluate_tracks([truth[t] for t in tracks], [identity.get(t) for t in tracks])["track"]
    return dict(predicted_k=m["num_predicted"], true_k=m["num_true"],
                bcubed_f=round(m["bcubed_f"], 4), wcp=round(m["wcp"], 4))


def error_tracks(table, truth: dict[int, str], identity: dict[int, int]) -> dict:
    """The error tracks with their quality and distances, and the medians over all tracks."""
    has = np.isfinite(table.embeddings[:, 0])
    means = {}
    for t in truth:
        rows = np.flatnonzero(has & (table.tracks == t))
        if len(rows):
            means[t] = unit(unit(table.embeddings[rows]).mean(0, keepdims=True))[0]
    members: dict[int, list[int]] = {}
    for t in truth:
        if t in identity and t in means:
            members.setdefault(identity[t], []).append(t)
    home = {}
    for person in set(truth.values()):
        votes = Counter(identity[t] for t in truth if truth[t] == person and t in identity)
        home[person] = votes.most_common(1)[0][0] if votes else None
    # an identity belongs to the person with most tracks in it (ties: by name)
    counts = Counter((identity[t], truth[t]) for t in truth if t in identity)
    owner = {}
    for i, person in sorted(counts, key=lambda key: (-counts[key], key[1])):
        owner.setdefault(i, person)

    def quality(t: int) -> dict:
        rows = table.tracks == t
        return dict(faces=int(rows.sum()), embedded=int((has & rows).sum()),
                    sharpness=round(float(np.median(table.sharpness[rows])), 1),
                    size=round(float(np.median(table.sizes[rows])), 1))

    errors = []
    for t in sorted(truth):
        person, ident = truth[t], identity.get(t)
        if ident is not None and ident == home[person] and owner.get(ident) == person:
            continue
        if ident is None and home[person] is None:
            continue  # the only track of a person, left apart: its own identity, rightly
        row = dict(track=t, person=person, identity=ident,
                   kind="unknown" if ident is None else
                   ("mixed in" if owner.get(ident, person) != person else "split off"),
                   **quality(t))
        if t in means:
            # leave the track itself out of the identities it is compared with
            rest = {i: [m for m in ts if m != t] for i, ts in members.items()}
            centre = {i: unit(np.mean([means[m] for m in ts], 0, keepdims=True))[0]
                      for i, ts in rest.items() if ts}
            dist = {i: float(1 - means[t] @ c) for i, c in centre.items()}
            row["to_home"] = (round(dist[home[person]], 3)
                              if home[person] in dist else None)
            others = [d for i, d in dist.items() if i != home[person]]
            row["to_nearest_other"] = round(min(others), 3) if others else None
        errors.append(row)
    everyone = [quality(t) for t in truth]
    return dict(errors=errors, all_tracks=dict(
        tracks=len(everyone),
        sharpness=round(float(np.median([q["sharpness"] for q in everyone])), 1),
        size=round(float(np.median([q["size"] for q in everyone])), 1)))


def dlib_descriptors(video_path: Path, table) -> np.ndarray:
    """dlib's 128-d descriptors of every embedded face (NaN elsewhere), from our boxes."""
    import cv2
    import dlib
    import face_recognition_models as models

    shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    describe = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    rows_by_frame: dict[int, list[int]] = {}
    for i in np.flatnonzero(np.isfinite(table.embeddings[:, 0]) & (table.tracks >= 0)):
        rows_by_frame.setdefault(int(table.frames[i]), []).append(int(i))
    out = np.full((len(table.frames), 128), np.nan, np.float32)
    cap, n, last = cv2.VideoCapture(str(video_path)), 0, max(rows_by_frame, default=0)
    while n < last:
        ok, frame = cap.read()
        n += 1  # frame numbers start at 1
        if not ok:
            break
        if n in rows_by_frame:
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            for i in rows_by_frame[n]:
                box = dlib.rectangle(*(int(round(v)) for v in table.boxes[i]))
                out[i] = describe.compute_face_descriptor(rgb, shape(rgb, box))
    cap.release()
    return out


def run(videos: Path, only: list[str] | None, frame_stride: int, with_dlib: bool) -> dict:
    import fiftyone as fo

    from benchmarks.make_multishot import load_manifest
    from fiftyone_plugin import api
    from fiftyone_plugin.clustering.videos import cluster_tracks
    from fiftyone_plugin.embedding.store import FaceStore, default_store_root
    from fiftyone_plugin.tracking.tracks import QualityRules

    manifest = json.loads((videos / "manifest.json").read_text())
    by_name = {v["name"]: v for v in manifest["videos"]}
    dataset = fo.Dataset()
    try:
        ids = load_manifest(dataset, videos / "manifest.json", names=only)
        api.find_identities(dataset, frame_stride=frame_stride)
        report = {}
        for sid, name in zip(ids, dataset.select(ids).values("video")):
            store = FaceStore(default_store_root(dataset._doc.id), sid)
            table = dataclasses.replace(store.table(), embeddings=store.embeddings)
            truth = true_tracks(table, by_name[name])
            # the default's track -> identity again from the store (seconds), rather than
            # reading every frame's labels back from the dataset
            identity = cluster_tracks({sid: table}, QualityRules())[sid]
            entry = dict(sface=score(truth, identity),
                         **error_tracks(table, truth, identity))
            if with_dlib:
                desc = dlib_descriptors(videos / by_name[name]["filepath"], table)
                fused = np.concatenate([unit(table.embeddings), unit(desc)], 1)
                for key, emb in (("dlib", desc), ("sface+dlib", fused / np.sqrt(2))):
                    alt = dataclasses.replace(table, embeddings=emb.astype(np.float32))
                    entry[key] = score(truth, cluster_tracks({sid: alt}, QualityRules())[sid])
            report[name] = entry
            cells = "  ".join(f"{k} {v['predicted_k']}/{v['true_k']} F {v['bcubed_f']:.3f} "
                              f"WCP {v['wcp']:.3f}" for k, v in entry.items()
                              if k in ("sface", "dlib", "sface+dlib"))
            print(f"{name}: {cells}", flush=True)
            for e in entry["errors"]:
                print("   ", json.dumps(e), flush=True)
            print("    all tracks:", json.dumps(entry["all_tracks"]), flush=True)
        return report
    finally:
        dataset.delete()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", required=True, help="folder with manifest.json")
    ap.add_argument("--only", nargs="+", default=None, help="only these videos (by name)")
    ap.add_argument("--stride", type=int, default=1, help="pipeline frame stride")
    ap.add_argument("--dlib", action="store_true",
                    help="also cluster on dlib's descriptors and on SFace+dlib")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from benchmarks.make_multishot import find_manifest

    if find_manifest(args.videos) is None:
        return 0
    write_json(args.json, run(Path(args.videos), args.only, args.stride, args.dlib))
    return 0


if __name__ == "__main__":
    sys.exit(main())
