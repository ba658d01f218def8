"""Re-tracking stored faces (no decoding): feed a tracker frame by frame, reset at cuts."""
from __future__ import annotations

import bisect
import math
from functools import reduce

import numpy as np

from .tracks import FaceTable


def retrack(table: FaceTable, shot_starts: list[int], tracker) -> np.ndarray:
    """Track stored faces frame by frame (reset at shot starts); returns track ids.

    The processing stride is inferred as the gcd of the face frames' offsets, and processed
    frames without faces are fed to the tracker too, so lost tracks age correctly.
    """
    tracks = np.full(len(table), -1, dtype=np.int64)
    if not len(table):
        return tracks
    frames = table.frames
    stride = int(reduce(math.gcd, (frames - frames.min()).tolist(), 0)) or 1
    starts = sorted(shot_starts)
    tracker.new_shot()
    shot = None
    for n in range(int(frames.min()), int(frames.max()) + 1, stride):
        current = bisect.bisect_right(starts, n)
        if shot is not None and current != shot:
            tracker.new_shot()
        shot = current
        rows = np.flatnonzero(frames == n)
        tracks[rows] = tracker.update(table.boxes[rows], table.scores[rows])
    return tracks
