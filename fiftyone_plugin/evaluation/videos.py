"""The evaluation of predicted identities against ground-truth faces over videos, on plain
arrays (no FiftyOne): match faces, then score faces and tracks with the papers' protocols."""
from __future__ import annotations

import numpy as np

from .metrics import best_map, clustering_metrics
from .protocols import (apply_unknown_policy, evaluate_tracks, is_unknown_name, match_faces,
                        track_identities)

UNCLUSTERED = "unknown"  # the label of tracks the clustering left out


def _scoped(scope: str, label) -> str:
    return label if is_unknown_name(label) else scope + str(label)


def _cluster_key(vid, label, index) -> str:
    if label is None or str(label) == UNCLUSTERED:
        return f"\0unclustered:{vid}:{index}"  # an unclustered track is its own cluster
    return str(label)


def evaluate_videos(videos: list[tuple[str, dict, dict]], iou_thr: float = 0.5,
                    unknown_policy: str = "own_identity", per_video: bool = False,
                    unclustered: str = "singleton", fields: tuple[str, str] = ("", "")
                    ) -> tuple[dict, dict[tuple[int, int], str]]:
    """Score predicted identities against ground truth.

    Args:
        videos: Per video ``(video id, predicted, true)``; each of the two a dict of equal-
            length ``frames`` (frame numbers), ``boxes`` (``(n, 4)``), ``labels`` (identity
            or person; ``"unknown"``/None for faces the clustering left out) and ``index``
            (track id or None).
        iou_thr, unknown_policy, per_video, unclustered: as
            :func:`fiftyone_plugin.api.evaluate_identities`.
        fields: Where the predicted and true faces come from (for error messages).

    Returns:
        tuple: the report (``track``, ``frame``, ``per_video``, ``c_dif`` and counts) and
        ``{(video position, predicted face position): "correct" | "wrong"}`` under the
        frame-level Hungarian map of identities to people (faces absent: unmatched).
    """
    faces_true, faces_pred, faces_ref, faces_clustered = [], [], [], []
    tracks_true, tracks_pred = [], []
    counts = dict(pred_faces=0, gt_faces=0, matched_faces=0, unmatched_tracks=0,
                  untracked_faces=0)
    scores = {}
    for k, (vid, p, g) in enumerate(videos):
        counts["pred_faces"] += len(p["frames"])
        counts["gt_faces"] += len(g["frames"])
        match = match_faces(p["frames"], p["boxes"], g["frames"], g["boxes"], iou_thr)
        scope = f"{vid}/" if per_video else ""
        keys = [scope + _cluster_key(vid, lab, idx) for lab, idx in zip(p["labels"], p["index"])]
        truth = [_scoped(scope, g["labels"][j]) if j >= 0 else None for j in match]
        for i in np.flatnonzero(match >= 0):
            faces_true.append(truth[i])
            faces_pred.append(keys[i])
            faces_ref.append((k, int(i)))
            faces_clustered.append(p["labels"][i] not in (None, UNCLUSTERED))
        # faces the tracker never confirmed are not tracks: frame level only
        tracked = [i for i, idx in enumerate(p["index"]) if idx is not None]
        counts["untracked_faces"] += len(p["index"]) - len(tracked)
        tracks = [f"{vid}:{p['index'][i]}" for i in tracked]
        label_of = {t: (lab if lab in (None, UNCLUSTERED) else scope + str(lab))
                    for t, lab in zip(tracks, (p["labels"][i] for i in tracked))}
        first = len(tracks_true)
        for t, (label, _) in track_identities(tracks, [truth[i] for i in tracked]).items():
            if label is None:
                counts["unmatched_tracks"] += 1
                continue
            tracks_true.append(label)
            tracks_pred.append(label_of[t])  # "unknown" tracks become singletons there
        if len(tracks_true) > first:
            scores[vid] = evaluate_tracks(tracks_true[first:], tracks_pred[first:], None,
                                          unknown_policy, unclustered=unclustered)["track"]
    counts["matched_faces"] = len(faces_true)
    if not faces_true:
        pred, gt = (f" in '{f}'" if f else "" for f in fields)
        raise ValueError(f"no predicted face{pred} overlaps a ground-truth face{gt} with IoU "
                         f">= {iou_thr}: check the fields and videos")
    report = evaluate_tracks(tracks_true, tracks_pred, None, unknown_policy,
                             unclustered=unclustered)
    if unclustered == "drop":
        kept = [i for i, c in enumerate(faces_clustered) if c]
        faces_true = [faces_true[i] for i in kept]
        faces_pred = [faces_pred[i] for i in kept]
        faces_ref = [faces_ref[i] for i in kept]
    t, p_, _ = apply_unknown_policy(faces_true, faces_pred, None, unknown_policy)
    report["frame"] = clustering_metrics(t, p_)
    report.update(counts)
    # VCT's #C DIF: the cluster-count error summed over videos, each its own problem
    report["per_video"] = scores
    report["c_dif"] = int(sum(m["cluster_count_diff"] for m in scores.values()))
    mapping = best_map(faces_true, faces_pred)
    verdicts = {ref: ("correct" if mapping.get(str(pk)) == str(tl) else "wrong")
                for ref, tl, pk in zip(faces_ref, faces_true, faces_pred)}
    return report, verdicts
