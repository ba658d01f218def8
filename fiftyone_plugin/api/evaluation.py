"""Evaluation: score a collection's identities against its ground-truth faces."""
from __future__ import annotations

import numpy as np

from .. import fo_io
from . import runs
from ._common import collection_videos


DEFAULT_EVAL_KEY, GT_FIELD = fo_io.DEFAULT_EVAL_KEY, fo_io.GT_FIELD


def _read_labels(samples, field):
    base = f"frames.{fo_io.frame_field(field)}.detections"
    return samples.values(["frames.frame_number", f"{base}.id", f"{base}.bounding_box",
                           f"{base}.label", f"{base}.index"])


def evaluate_identities(sample_collection, pred_field: str = fo_io.IDENTITIES_FIELD,
                        gt_field: str = GT_FIELD, eval_key: str = DEFAULT_EVAL_KEY,
                        iou_thr: float = 0.5, unknown_policy: str = "own_identity",
                        per_video: bool = False, unclustered: str = "singleton",
                        progress=None) -> dict:
    """Score predicted identities against ground-truth face tracks, as the papers do.

    Predicted faces are matched one-to-one to ground-truth faces of the same frame (IoU >=
    ``iou_thr``). Frame level: every matched face, true label vs predicted identity.
    Track level: every predicted track with a match, its majority true label vs its
    identity (faces without a track count at frame level only). Tracks labelled ``unknown``
    count as clusters of their own. Each predicted
    face gets ``<eval_key>`` = ``correct`` / ``wrong`` (under the Hungarian identity map) /
    ``unmatched``, so errors can be filtered in the App. Metrics are stored as a run.

    ``unclustered="drop"`` leaves out tracks labelled ``unknown`` (VideoClusterNet's
    protocol) instead of scoring each as its own cluster; ``coverage`` says how many were
    clustered. With ``per_video`` each video is its own clustering problem (each was
    clustered on its own): the same label in two videos is two identities, predicted and true
    alike.

    Returns:
        dict: ``track`` and ``frame`` metrics (WCP, NMI, BCubed, pairwise, Hungarian,
        cluster counts) over the collection, ``per_video`` track metrics, ``c_dif``
        (sum over videos of |K_pred - K_true|), ``coverage`` and matching counts.
    """
    from ..evaluation.videos import evaluate_videos

    ids, _ = collection_videos(sample_collection)
    fo_io.require_detections_field(sample_collection, pred_field,
                                   "Run cluster_faces (or find_identities) first, or pass "
                                   "the right field name.")
    fo_io.require_detections_field(
        sample_collection, gt_field, "Ground truth comes from `vfc import FORMAT "
        "--dataset-dir DIR` or the 'Import ground truth' operator (BBT/Buffy, EasyCom), or "
        "from your own labels; pass its field as gt_field.")
    runs.check_run_key(sample_collection, eval_key, runs.IdentityEvaluationConfig)
    pred, gt = _read_labels(sample_collection, pred_field), _read_labels(sample_collection,
                                                                         gt_field)
    flat = [(_flatten(pred, k), _flatten(gt, k)) for k in range(len(ids))]
    report, verdicts = evaluate_videos(
        [(sid, p, g) for sid, (p, g) in zip(ids, flat)], iou_thr, unknown_policy,
        per_video, unclustered, fields=(pred_field, gt_field))
    # per-face verdicts, so errors can be filtered in the App
    where = {(k, flat[k][0]["frame_pos"][i], flat[k][0]["det_pos"][i]): v
             for (k, i), v in verdicts.items()}
    det_ids = pred[1]  # read above, same sample and frame order
    sample_collection.select(ids, ordered=True).set_values(
        f"frames.{fo_io.frame_field(pred_field)}.detections.{eval_key}",
        [[[where.get((k, fi, di), "unmatched") for di, _ in enumerate(fr or [])]
          for fi, fr in enumerate(vid)] for k, vid in enumerate(det_ids)], dynamic=True)
    runs.save_run(sample_collection, eval_key, runs.IdentityEvaluationConfig, dict(
        method="identity_evaluation", pred_field=pred_field, gt_field=gt_field,
        iou_thr=float(iou_thr), unknown_policy=unknown_policy, per_video=per_video,
        unclustered=unclustered), report)
    if progress is not None:
        progress(1.0, "evaluated")
    return report


def _flatten(values, k) -> dict:
    numbers, det_ids, boxes, labels, index = (v[k] for v in values)
    out = dict(frames=[], boxes=[], labels=[], index=[], frame_pos=[], det_pos=[])
    for fi, (fn, fb, fl, fx) in enumerate(zip(numbers, boxes, labels, index)):
        for di, (b, lab, idx) in enumerate(zip(fb or [], fl or [], fx or [])):
            out["frames"].append(fn)
            out["boxes"].append(b)
            out["labels"].append(lab)
            out["index"].append(idx)
            out["frame_pos"].append(fi)
            out["det_pos"].append(di)
    out["boxes"] = np.asarray(out["boxes"], np.float64).reshape(-1, 4)
    return out
