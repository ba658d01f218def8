"""Content-based shot-cut detection on the frames the pipeline already decodes.

The score of a frame is the mean absolute difference of its HSV channels against the
previous processed frame, on a small thumbnail (the measure of PySceneDetect's
``ContentDetector``, re-implemented). A cut is declared when the score exceeds
``threshold``, or when it exceeds ``min_score`` and is ``adaptive_ratio`` times the mean of
the recent scores (catches soft cuts in calm footage), and the current shot is at least
``min_shot_len`` processed frames long.
"""
from __future__ import annotations

from collections import deque

import cv2
import numpy as np


class ShotDetector:
    """Online cut detector; feed frames in order with :meth:`update`.

    Args:
        threshold (float): Absolute HSV-difference score for a cut (0-255 scale).
            Defaults to 27.0 (PySceneDetect's default).
        min_score (float): Lowest score an adaptive cut may have. Defaults to 12.0.
        adaptive_ratio (float): Score / recent-mean ratio for an adaptive cut.
            Defaults to 4.0.
        window (int): Processed frames in the recent mean. Defaults to 8.
        min_shot_len (int): Minimum processed frames per shot. Defaults to 4.
        thumb_width (int): Thumbnail width used for the score. Defaults to 128.
    """

    def __init__(self, threshold: float = 27.0, min_score: float = 12.0,
                 adaptive_ratio: float = 4.0, window: int = 8, min_shot_len: int = 4,
                 thumb_width: int = 128) -> None:
        self.threshold = threshold
        self.min_score = min_score
        self.adaptive_ratio = adaptive_ratio
        self.min_shot_len = min_shot_len
        self.thumb_width = thumb_width
        self.recent: deque[float] = deque(maxlen=window)
        self.prev: np.ndarray | None = None
        self.since_cut = 0
        self.shot_index = 0

    def score(self, frame: np.ndarray) -> float:
        h, w = frame.shape[:2]
        tw = min(self.thumb_width, w)
        thumb = cv2.resize(frame, (tw, max(1, round(h * tw / w))), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(thumb, cv2.COLOR_BGR2HSV).astype(np.int16)
        if self.prev is None:
            self.prev = hsv
            return 0.0
        s = float(np.abs(hsv - self.prev).mean())
        self.prev = hsv
        return s

    def update(self, frame: np.ndarray) -> bool:
        """Process the next frame; returns True when it starts a new shot."""
        s = self.score(frame)
        first = not self.recent and self.since_cut == 0 and s == 0.0
        mean = float(np.mean(self.recent)) if self.recent else 0.0
        cut = (not first and self.since_cut >= self.min_shot_len and (
            s >= self.threshold
            or (s >= self.min_score and s >= self.adaptive_ratio * max(mean, 1e-6))))
        if cut:
            self.shot_index += 1
            self.since_cut = 0
            self.recent.clear()
        else:
            self.recent.append(s)
        self.since_cut += 1
        return cut


def shots_from_cuts(frame_numbers: list[int], shot_ids: list[int]) -> list[tuple[int, int]]:
    """``[(first, last)]`` 1-based inclusive frame ranges, one per shot id in order.

    A shot ends on the frame before the next shot's first processed frame (so strided runs
    still cover the whole video), and the last shot ends on the last processed frame.
    """
    shots: list[tuple[int, int]] = []
    for number, sid in zip(frame_numbers, shot_ids):
        if sid == len(shots):
            if shots:
                shots[-1] = (shots[-1][0], number - 1)
            shots.append((number, number))
        else:
            shots[-1] = (shots[-1][0], number)
    return shots
