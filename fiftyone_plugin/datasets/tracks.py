"""In-memory forms of imported ground truth: box tracks and feature tracks."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class GroundTruthTrack:
    """One labelled face track.

    Args:
        track_id (int): Track id, unique within its video.
        identity (str): Person name, ``unknown...`` for background / unnamed people.
        frames (np.ndarray): ``(n,)`` 1-based FiftyOne frame numbers.
        boxes (np.ndarray): ``(n, 4)`` ``[x, y, w, h]`` boxes in pixels of ``frame_size``.
        frame_size (tuple[int, int]): ``(width, height)`` the boxes refer to.
    """

    track_id: int
    identity: str
    frames: np.ndarray
    boxes: np.ndarray
    frame_size: tuple[int, int]


@dataclass
class FeatureTracks:
    """Features-only protocol data: one feature array per track and its label.

    ``features[i]`` is ``(n_i, D)`` (one row per frame) or None when not loaded.
    """

    track_ids: list[int]
    labels: list[str]
    features: list[np.ndarray | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.track_ids)


def tracks_to_frames(tracks: list[GroundTruthTrack]) -> dict[int, object]:
    """``{frame_number: fo.Detections}`` with relative boxes, ``label`` = identity and
    ``index`` = track id (FiftyOne's trajectory convention)."""
    import fiftyone as fo

    per_frame: dict[int, list] = {}
    for t in tracks:
        fw, fh = t.frame_size
        for fn, (x, y, w, h) in zip(t.frames.tolist(), np.asarray(t.boxes, np.float64)):
            x1, y1 = min(max(x / fw, 0.0), 1.0), min(max(y / fh, 0.0), 1.0)
            box = [x1, y1, min(w / fw, 1.0 - x1), min(h / fh, 1.0 - y1)]
            per_frame.setdefault(int(fn), []).append(fo.Detection(
                label=t.identity, bounding_box=box, index=int(t.track_id)))
    return {fn: fo.Detections(detections=d) for fn, d in per_frame.items()}
