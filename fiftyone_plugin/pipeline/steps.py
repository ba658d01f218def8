"""The steps of a pass over one video. Each fills in part of every :class:`FrameBatch`;
a pass is a list of them, the first one saying where faces come from.

A step object serves one video (trackers, cut detectors and samplers keep per-video
state); the models inside it (detector, embedder) are built once and shared.
"""
from __future__ import annotations

import numpy as np
from bson import ObjectId

from ..detection.face_detector import FaceDetector, FrameFaces
from ..embedding.align import align_faces, landmarks_from_boxes, sharpness
from ..embedding.embedder import FaceEmbedder
from ..embedding.store import FaceStoreWriter
from ..shots import ShotDetector
from ..tracking.tracker import FaceTracker
from ..tracking.tracks import FaceTable, QualityRules
from ..video import VideoInfo
from .state import FrameBatch


class VideoStep:
    """One step of a pass: reads and fills in fields of each batch, in place."""

    def __call__(self, batch: FrameBatch) -> None:
        raise NotImplementedError


class FaceSource(VideoStep):
    """The first step of a pass: says which frames to decode and fills in ``faces``,
    ``det_ids`` and ``tracks``."""

    def frames(self, info: VideoInfo) -> tuple[int, set[int] | None]:
        """``(stride, only)`` for :func:`fiftyone_plugin.video.iter_frames`."""
        raise NotImplementedError


class DetectFaces(FaceSource):
    """Detect faces in every ``stride``-th frame; each gets a new detection id and no track."""

    def __init__(self, detector: FaceDetector, stride: int = 1) -> None:
        self.detector = detector
        self.stride = stride

    def frames(self, info: VideoInfo) -> tuple[int, set[int] | None]:
        return self.stride, None

    def __call__(self, batch: FrameBatch) -> None:
        batch.faces = self.detector(batch.images)
        batch.det_ids = [[str(ObjectId()) for _ in ff.boxes] for ff in batch.faces]
        batch.tracks = [np.full(len(ff.boxes), -1, np.int64) for ff in batch.faces]


class StoredFaces(FaceSource):
    """Faces found before (a table and its detection ids); only their frames are decoded."""

    def __init__(self, table: FaceTable, det_ids: list[str]) -> None:
        self.by_frame: dict[int, tuple[FrameFaces, list[str], np.ndarray]] = {}
        for n in np.unique(table.frames):
            rows = np.flatnonzero(table.frames == n)
            lm = None if table.landmarks is None else table.landmarks[rows]
            self.by_frame[int(n)] = (FrameFaces(table.boxes[rows], table.scores[rows], lm),
                                     [det_ids[r] for r in rows], table.tracks[rows])

    def frames(self, info: VideoInfo) -> tuple[int, set[int] | None]:
        return 1, set(self.by_frame)

    def __call__(self, batch: FrameBatch) -> None:
        found = [self.by_frame[n] for n in batch.numbers]
        batch.faces = [f[0] for f in found]
        batch.det_ids = [f[1] for f in found]
        batch.tracks = [f[2] for f in found]


class DetectShots(VideoStep):
    """Cut detection on every decoded frame: ``shot_ids`` and ``cuts``. Needs a source
    that decodes every ``stride``-th frame (not :class:`StoredFaces`)."""

    def __init__(self, shot_detector: ShotDetector | None = None) -> None:
        self.shot_detector = shot_detector or ShotDetector()

    def __call__(self, batch: FrameBatch) -> None:
        batch.cuts, batch.shot_ids = [], []
        for image in batch.images:
            batch.cuts.append(self.shot_detector.update(image))
            batch.shot_ids.append(self.shot_detector.shot_index)


class TrackFaces(VideoStep):
    """Link faces into tracks, starting afresh at every cut (after :class:`DetectShots`)."""

    def __init__(self, tracker: FaceTracker) -> None:
        self.tracker = tracker

    def __call__(self, batch: FrameBatch) -> None:
        cuts = batch.cuts or [False] * len(batch.faces)
        tracks = []
        for cut, ff in zip(cuts, batch.faces):
            if cut:
                self.tracker.new_shot()
            tracks.append(self.tracker.update(ff.boxes, ff.scores))
        batch.tracks = tracks


class AlignFaces(VideoStep):
    """Align every face to a ``size`` square crop (from its landmarks, or its box when the
    detector gave none) and measure its sharpness."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, batch: FrameBatch) -> None:
        crops = [align_faces(image, ff.landmarks if ff.landmarks is not None
                             else landmarks_from_boxes(ff.boxes), size=self.size)
                 for image, ff in zip(batch.images, batch.faces) if len(ff.boxes)]
        batch.crops = (np.concatenate(crops) if crops
                       else np.zeros((0, self.size, self.size, 3), np.uint8))
        batch.sharpness = sharpness(batch.crops) if crops else np.zeros(0, np.float32)


class EmbedSampler:
    """Chooses which faces of each track to embed, as frames stream in.

    A track's 1st, ``(1 + stride)``-th, ``(1 + 2 stride)``-th ... usable face is embedded,
    so every track with a usable face has an embedding, and a long track has one per
    ``stride`` usable faces. Before its ``stride``-th usable face a track also gets its 2nd,
    3rd, 5th, 9th ... (gaps doubling): a track's mean is as good as its faces, and a track
    shorter than the stride would otherwise be one face, one expression and one alignment
    (on the 20-minute episode benchmark 14 identities for 11 people with one face in 10,
    12 with the doubling gaps). That costs a long track at most ``ceil(log2(stride))``
    faces more. A track's first face is embedded too when it is not usable, so a track the
    quality rules reject can still be attached to an identity after clustering. Clustering
    uses at most 8 faces per track, and SFace on every face is 69 % of the pipeline's
    arithmetic at 720p (BENCHMARKS.md).

    Args:
        stride (int): Embed one usable face in ``stride``; 1 embeds every face.
        rules (QualityRules, optional): Usable faces; defaults to ``QualityRules()``.
    """

    def __init__(self, stride: int = 1, rules: QualityRules | None = None) -> None:
        if stride < 1:
            raise ValueError(f"embed_stride must be >= 1, not {stride}")
        self.stride = stride
        self.rules = rules or QualityRules()
        self.seen: dict[int, int] = {}
        self.first: set[int] = set()  # tracks whose first unusable face was embedded

    def __call__(self, tracks: np.ndarray, boxes: np.ndarray, scores: np.ndarray,
                 sharp: np.ndarray) -> np.ndarray:
        """Boolean mask over these faces (in frame order) of those to embed."""
        if self.stride == 1:
            return np.ones(len(tracks), bool)
        usable = self.rules.usable_faces(FaceTable(np.zeros(len(tracks), np.int64), boxes,
                                                   scores, tracks=tracks, sharpness=sharp))
        chosen = tracks < 0
        for i in np.flatnonzero(usable):
            t = int(tracks[i])
            n = self.seen.get(t, 0)
            chosen[i] = n % self.stride == 0 or (n < self.stride and n & (n - 1) == 0)
            self.seen[t] = n + 1
        for i in np.flatnonzero(~usable & (tracks >= 0)):
            t = int(tracks[i])  # its first face, unless it has a usable one
            chosen[i] = t not in self.first and t not in self.seen
            self.first.add(t)
        return chosen


class EmbedFaces(VideoStep):
    """Embed the aligned faces :class:`EmbedSampler` picks (after :class:`AlignFaces`);
    the others get NaN rows.

    Args:
        embedder (FaceEmbedder): The face-ID model.
        stride (int): Embed one usable face in ``stride`` of each track (its first always);
            faces outside tracks are always embedded. Defaults to 1 (every face).
        rules (QualityRules, optional): What makes a face usable for that count.
    """

    def __init__(self, embedder: FaceEmbedder, stride: int = 1,
                 rules: QualityRules | None = None) -> None:
        self.embedder = embedder
        self.sampler = EmbedSampler(stride, rules)

    def __call__(self, batch: FrameBatch) -> None:
        if batch.crops is None:
            raise ValueError("EmbedFaces needs aligned crops: put AlignFaces before it")
        emb = np.full((len(batch.crops), self.embedder.embedding_dim), np.nan, np.float32)
        if len(batch.crops):
            chosen = self.sampler(batch.concat("tracks"), batch.concat("boxes"),
                                  batch.concat("scores"), batch.sharpness)
            emb[chosen] = self.embedder(batch.crops[chosen])
        batch.embeddings = emb


class StoreCrops(VideoStep):
    """Stream the aligned crops to a face store writer (after :class:`AlignFaces`)."""

    def __init__(self, writer: FaceStoreWriter) -> None:
        self.writer = writer

    def __call__(self, batch: FrameBatch) -> None:
        if batch.crops is not None:
            self.writer.add_crops(batch.crops)
