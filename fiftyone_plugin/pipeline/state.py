"""What one pass over a video carries: a batch of frames as the steps fill it in, and the
per-video state that keeps every batch's findings until the pass ends."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..detection.face_detector import FrameFaces
from ..shots import shots_from_cuts
from ..tracking.tracks import FaceTable
from ..video import VideoInfo


@dataclass
class VideoResult:
    """What one pass found in one video."""

    path: str
    width: int
    height: int
    faces: FaceTable
    det_ids: list[str]
    shots: list[tuple[int, int]] = field(default_factory=list)
    num_frames_processed: int = 0
    decode_error: str | None = None  # decoding stopped early: what was read, of how much


@dataclass
class FrameBatch:
    """Decoded frames and what the steps found in them so far.

    Per frame: ``faces``, ``det_ids``, ``tracks`` (``-1``: in no track) and, when a cut
    detector ran, ``shot_ids`` and ``cuts`` (the frame opens a new shot). Per face, in frame
    order: ``crops`` and ``sharpness`` (after alignment) and ``embeddings`` (NaN rows for
    faces not embedded).
    """

    numbers: list[int]
    images: list[np.ndarray]
    faces: list[FrameFaces] = field(default_factory=list)
    det_ids: list[list[str]] = field(default_factory=list)
    tracks: list[np.ndarray] = field(default_factory=list)
    shot_ids: list[int] | None = None
    cuts: list[bool] | None = None
    crops: np.ndarray | None = None
    sharpness: np.ndarray | None = None
    embeddings: np.ndarray | None = None

    def concat(self, name: str) -> np.ndarray:
        """One per-frame attribute (``"boxes"``, ``"scores"``, ``"tracks"``) over all faces."""
        if name == "tracks":
            parts = [np.asarray(t, np.int64).reshape(-1) for t in self.tracks]
        else:
            parts = [np.asarray(getattr(ff, name), np.float32).reshape(
                (-1, 4) if name == "boxes" else (-1,)) for ff in self.faces]
        return np.concatenate(parts) if parts else np.zeros(0)


class VideoState:
    """Everything found in one video so far; :meth:`add` keeps a finished batch and
    :meth:`result` builds the :class:`VideoResult` at the end of the pass."""

    def __init__(self, info: VideoInfo) -> None:
        self.info = info
        self.frame_numbers: list[int] = []
        self.shot_ids: list[int] = []
        self.det_ids: list[str] = []
        self.rows: dict[str, list[np.ndarray]] = {k: [] for k in (
            "frames", "boxes", "scores", "landmarks", "tracks", "sharpness", "embeddings")}
        self.has_landmarks = True
        self.aligned = False
        self.embedding_dim: int | None = None

    def add(self, batch: FrameBatch) -> None:
        self.frame_numbers += batch.numbers
        self.shot_ids += batch.shot_ids or []
        for number, ff, ids, tracks in zip(batch.numbers, batch.faces, batch.det_ids,
                                           batch.tracks):
            n = len(ff.boxes)
            self.det_ids += ids
            self.has_landmarks &= ff.landmarks is not None
            self.rows["frames"].append(np.full(n, number, np.int64))
            self.rows["boxes"].append(np.asarray(ff.boxes, np.float32).reshape(-1, 4))
            self.rows["scores"].append(np.asarray(ff.scores, np.float32).reshape(-1))
            if ff.landmarks is not None:
                self.rows["landmarks"].append(np.asarray(ff.landmarks, np.float32)
                                              .reshape(-1, 5, 2))
            self.rows["tracks"].append(np.asarray(tracks, np.int64).reshape(-1))
        if batch.sharpness is not None:
            self.aligned = True
            self.rows["sharpness"].append(batch.sharpness)
        if batch.embeddings is not None:
            self.embedding_dim = batch.embeddings.shape[1]
            self.rows["embeddings"].append(batch.embeddings)

    def _cat(self, key: str, shape: tuple, dtype=np.float32) -> np.ndarray:
        rows = self.rows[key]
        return np.concatenate(rows).astype(dtype) if rows else np.zeros(shape, dtype)

    def result(self) -> VideoResult:
        """The pass's :class:`VideoResult`."""
        table = FaceTable(
            frames=self._cat("frames", (0,), np.int64), boxes=self._cat("boxes", (0, 4)),
            scores=self._cat("scores", (0,)),
            landmarks=self._cat("landmarks", (0, 5, 2)) if self.has_landmarks else None,
            tracks=self._cat("tracks", (0,), np.int64),
            sharpness=self._cat("sharpness", (0,)) if self.aligned else None,
            embeddings=(self._cat("embeddings", (0, self.embedding_dim))
                        if self.embedding_dim is not None else None))
        shots = shots_from_cuts(self.frame_numbers, self.shot_ids) if self.shot_ids else []
        if shots and self.info.num_frames:
            # strided decoding: the last shot runs to the container's last frame
            shots[-1] = (shots[-1][0], max(shots[-1][1], self.info.num_frames))
        return VideoResult(self.info.path, self.info.width, self.info.height, table,
                           self.det_ids, shots, len(self.frame_numbers))
