"""Per-video face table, quality rules and the cannot-link (co-occurrence) table.

Pure NumPy: no FiftyOne, no mmdet. One row per detected face.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class QualityRules:
    """When a face or a track is too poor to be clustered (it is labelled ``unknown``).

    Args:
        min_face_size (float): Minimum shorter box side in pixels. Defaults to 20.
        min_score (float): Minimum detector score. Defaults to 0.7.
        min_sharpness (float): Minimum variance of the Laplacian of the aligned crop.
            Defaults to 10.0 (only very blurry crops fall below).
        min_track_len (int): Minimum number of usable faces in a track. Defaults to 3.
    """

    min_face_size: float = 20.0
    min_score: float = 0.7
    min_sharpness: float = 10.0
    min_track_len: int = 3

    def usable_faces(self, table: "FaceTable") -> np.ndarray:
        ok = (table.sizes >= self.min_face_size) & (table.scores >= self.min_score)
        if table.sharpness is not None:
            ok &= table.sharpness >= self.min_sharpness
        return ok & (table.tracks >= 0)

    def usable_tracks(self, table: "FaceTable") -> dict[int, np.ndarray]:
        """``{track id: row indices of its usable faces}`` for tracks long enough."""
        ok = self.usable_faces(table)
        tracks = {}
        for t in np.unique(table.tracks[ok]):
            rows = np.flatnonzero(ok & (table.tracks == t))
            if len(rows) >= self.min_track_len:
                tracks[int(t)] = rows
        return tracks


def quality_score(scores: np.ndarray, sizes: np.ndarray,
                  sharpness: np.ndarray | None) -> np.ndarray:
    """A 0..1 summary for display and sorting: geometric mean of the detector score,
    ``min(1, size / 64 px)`` and ``min(1, sharpness / 100)``."""
    terms = [np.clip(scores, 0, 1), np.clip(sizes / 64.0, 0, 1)]
    if sharpness is not None:
        terms.append(np.clip(sharpness / 100.0, 0, 1))
    return np.prod(terms, axis=0) ** (1.0 / len(terms))


@dataclass(frozen=True)
class FaceTable:
    """All faces of one video (immutable: a stage that adds tracks or embeddings returns a
    new table, ``dataclasses.replace(table, tracks=...)``).

    ``frames`` (N,) 1-based frame numbers; ``boxes`` (N, 4) xyxy pixels; ``scores`` (N,);
    ``landmarks`` (N, 5, 2) pixels or None; ``tracks`` (N,) track id or -1;
    ``sharpness`` (N,) or None; ``embeddings`` (N, D) unit vectors or None.
    """

    frames: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray | None = None
    tracks: np.ndarray | None = None
    sharpness: np.ndarray | None = None
    embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.tracks is None:
            object.__setattr__(self, "tracks", np.full(len(self.frames), -1, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def sizes(self) -> np.ndarray:
        wh = self.boxes[:, 2:] - self.boxes[:, :2]
        return wh.min(axis=1) if len(wh) else np.zeros(0)

    @classmethod
    def empty(cls, embedding_dim: int | None = None) -> "FaceTable":
        return cls(np.zeros(0, np.int64), np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                   np.zeros((0, 5, 2), np.float32), np.zeros(0, np.int64),
                   np.zeros(0, np.float32),
                   None if embedding_dim is None else np.zeros((0, embedding_dim), np.float32))


def cooccurring_pairs(frames: np.ndarray, tracks: np.ndarray) -> set[tuple[int, int]]:
    """Pairs ``(a, b)``, ``a < b``, of tracks that have faces in the same frame."""
    pairs: set[tuple[int, int]] = set()
    order = np.argsort(frames, kind="stable")
    frames, tracks = frames[order], tracks[order]
    bounds = np.flatnonzero(np.diff(frames)) + 1
    for group in np.split(tracks, bounds):
        ids = np.unique(group[group >= 0])
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                pairs.add((int(ids[i]), int(ids[j])))
    return pairs


def cannot_links(table: "FaceTable", position: dict[int, int]) -> list[tuple[int, int]]:
    """Cannot-link pairs among the tracks in ``position`` (track id -> index in the caller's
    list of tracks): those sharing a frame, as index pairs."""
    return [(position[a], position[b]) for a, b in cooccurring_pairs(table.frames, table.tracks)
            if a in position and b in position]
