"""Evaluation protocols: unknown labels, track- vs frame-level units, and matching
predicted face tracks to ground-truth ones by box overlap.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from .metrics import clustering_metrics

UNKNOWN_POLICIES = ("own_identity", "drop", "single_class")


def is_unknown_name(label) -> bool:
    """Default test for a background / unknown ground-truth identity: ``None``, ``unknown``
    or a name starting with ``unknown`` (BCL's ``unknown_e01_1``)."""
    return label is None or str(label).lower().startswith("unknown")


def apply_unknown_policy(y_true, y_pred, weights=None, policy: str = "own_identity",
                         is_unknown: Callable = is_unknown_name):
    """Rewrite ground truth for unknown identities as the chosen protocol says.

    Args:
        y_true: True identity per item.
        y_pred: Predicted cluster per item.
        weights (optional): Per-item weights, filtered alongside.
        policy (str): ``"own_identity"``: each unknown item is an identity of its own
            (nothing can be correctly merged with it); ``"drop"``: unknown items are removed
            before scoring (SSiam, TSiam, FGG); ``"single_class"``: all unknowns are one
            identity. Defaults to ``"own_identity"``.
        is_unknown (Callable): Tells unknown labels. Defaults to :func:`is_unknown_name`.

    Returns:
        tuple: ``(y_true, y_pred, weights)`` as arrays (weights may be None).
    """
    if policy not in UNKNOWN_POLICIES:
        raise ValueError(f"unknown_policy must be one of {UNKNOWN_POLICIES}, not {policy!r}")
    y_true = np.array([str(v) if v is not None else None for v in y_true], dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    unknown = np.array([is_unknown(v) for v in y_true], bool)
    if weights is not None:
        weights = np.asarray(weights, np.float64)
    if policy == "drop":
        keep = ~unknown
        return y_true[keep], y_pred[keep], None if weights is None else weights[keep]
    y_true = y_true.copy()
    if policy == "single_class":
        y_true[unknown] = "\0unknown"
    else:
        y_true[unknown] = [f"\0unknown_{i}" for i in np.flatnonzero(unknown)]
    return y_true, y_pred, weights


def evaluate_tracks(y_true, y_pred, num_faces=None, unknown_policy: str = "own_identity",
                    is_unknown: Callable = is_unknown_name,
                    unclustered: str = "singleton") -> dict:
    """Track-level and frame-level metrics of one clustering.

    Args:
        y_true: True identity per track.
        y_pred: Predicted cluster per track. Tracks the pipeline left unclustered
            (``None`` / ``"unknown"``) count as clusters of their own: leaving a track out
            never helps a score.
        num_faces (optional): Faces per track; frame-level scores weight tracks by it.
        unknown_policy (str): See :func:`apply_unknown_policy`. Defaults to
            ``"own_identity"``.
        is_unknown (Callable): Tells unknown ground-truth labels.
        unclustered (str): ``"singleton"`` (default): an unclustered track is a cluster of
            its own; ``"drop"``: it is left out, as VideoClusterNet excludes its "Unknown"
            tracks (report ``coverage`` beside such scores).

    Returns:
        dict: ``{"track": metrics, "frame": metrics}`` (``"frame"`` only with
        ``num_faces``), plus ``coverage``: the fraction of tracks that were clustered.
    """
    if unclustered not in ("singleton", "drop"):
        raise ValueError(f"unclustered must be 'singleton' or 'drop', not {unclustered!r}")
    clustered = np.array([not is_unknown_name(p) for p in y_pred], bool)
    coverage = float(clustered.mean()) if len(clustered) else 0.0
    if unclustered == "drop":
        keep = np.flatnonzero(clustered)
        y_true, y_pred = [y_true[i] for i in keep], [y_pred[i] for i in keep]
        num_faces = None if num_faces is None else np.asarray(num_faces)[keep]
        clustered = clustered[keep]
    y_pred = np.array([str(p) if c else f"\0single_{i}"
                       for i, (p, c) in enumerate(zip(y_pred, clustered))], dtype=object)
    t, p, w = apply_unknown_policy(y_true, y_pred, num_faces, unknown_policy, is_unknown)
    if not len(t):
        raise ValueError("no track left to evaluate (every ground-truth label is unknown and "
                         "unknown_policy='drop')")
    out = dict(track=clustering_metrics(t, p), coverage=coverage)
    if w is not None:
        out["frame"] = clustering_metrics(t, p, weights=w)
    return out


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b`` (``[x, y, w, h]``, any unit)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum((a[:, 0] + a[:, 2])[:, None], (b[:, 0] + b[:, 2])[None])
    y2 = np.minimum((a[:, 1] + a[:, 3])[:, None], (b[:, 1] + b[:, 3])[None])
    inter = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_faces(pred_frames, pred_boxes, gt_frames, gt_boxes, iou_thr: float = 0.5
                ) -> np.ndarray:
    """One-to-one matching of predicted to ground-truth faces in each frame (Hungarian on
    IoU, pairs below ``iou_thr`` rejected).

    Returns:
        np.ndarray: Per predicted face, the index of its ground-truth face or -1.
    """
    pred_frames, gt_frames = np.asarray(pred_frames), np.asarray(gt_frames)
    out = np.full(len(pred_frames), -1, np.int64)
    gt_by_frame: dict[int, list[int]] = {}
    for j, f in enumerate(gt_frames.tolist()):
        gt_by_frame.setdefault(f, []).append(j)
    pred_by_frame: dict[int, list[int]] = {}
    for i, f in enumerate(pred_frames.tolist()):
        pred_by_frame.setdefault(f, []).append(i)
    for f, rows in pred_by_frame.items():
        cols = gt_by_frame.get(f)
        if not cols:
            continue
        iou = box_iou(np.asarray(pred_boxes)[rows], np.asarray(gt_boxes)[cols])
        r, c = linear_sum_assignment(iou, maximize=True)
        for i, j in zip(r, c):
            if iou[i, j] >= iou_thr:
                out[rows[i]] = cols[j]
    return out


def track_identities(pred_tracks, matched_labels) -> dict[int, tuple[object, int]]:
    """Each predicted track's ground-truth identity: the majority label of its matched
    faces. Returns ``{track: (label or None when nothing matched, faces in the track)}``."""
    out: dict[int, tuple[object, int]] = {}
    votes: dict[int, dict] = {}
    for t, lab in zip(np.asarray(pred_tracks).tolist(), matched_labels):
        v = votes.setdefault(t, {})
        if lab is not None:
            v[lab] = v.get(lab, 0) + 1
        v[None] = v.get(None, 0) + 1  # total faces, stored under None
    for t, v in votes.items():
        total = v.pop(None)
        label = max(sorted(v, key=str), key=v.get) if v else None
        out[t] = (label, total)
    return out
