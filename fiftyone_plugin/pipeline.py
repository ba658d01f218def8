"""One streaming pass over a video: shots, detection, tracking, alignment, embedding.

:func:`process_video` is the engine behind every stage. Which parts run depends on what is
given: without ``faces`` it decodes every ``stride``-th frame, detects shots and faces; with
``faces`` it decodes only the frames that have faces. ``tracker`` links faces (reset at
every cut) and ``embedder`` aligns every face (crops streamed to a store writer) and embeds
those :class:`EmbedSampler` picks.
No FiftyOne here: the results are returned and written by :mod:`fiftyone_plugin.fo_io`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from bson import ObjectId

from .detection.face_detector import FaceDetector, FrameFaces
from .embedding.align import align_faces, landmarks_from_boxes, sharpness
from .embedding.embedder import FaceEmbedder
from .embedding.store import FaceStoreWriter
from .shots import ShotDetector, shots_from_cuts
from .tracking.tracker import FaceTracker
from .tracking.tracks import FaceTable, QualityRules
from .video import iter_batches, iter_frames, probe

Progress = Callable[[float, str], None]
# Embed one usable face in 10 per track: 2.5 per second at 25 fps, >= 8 (all clustering
# uses) in any track over 3 s; 1x real time at 720p on 2 cores (BENCHMARKS.md, Speed).
DEFAULT_EMBED_STRIDE = 10


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


def _by_frame(table: FaceTable, det_ids: list[str]) -> dict[int, tuple[FrameFaces, list[str],
                                                                      np.ndarray]]:
    out = {}
    for n in np.unique(table.frames):
        rows = np.flatnonzero(table.frames == n)
        lm = None if table.landmarks is None else table.landmarks[rows]
        out[int(n)] = (FrameFaces(table.boxes[rows], table.scores[rows], lm),
                       [det_ids[r] for r in rows], table.tracks[rows])
    return out


class EmbedSampler:
    """Chooses which faces of each track to embed, as frames stream in.

    A track's 1st, ``(1 + stride)``-th, ``(1 + 2 stride)``-th ... usable face is embedded,
    so every track with a usable face has an embedding, and a long track has one per
    ``stride`` usable faces. A track's first face is embedded too when it is not usable, so
    a track the quality rules reject can still be attached to an identity after clustering. Clustering uses at most 8 faces per track, and SFace on every
    face is 69 % of the pipeline's arithmetic at 720p (BENCHMARKS.md).

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
            chosen[i] = n % self.stride == 0
            self.seen[t] = n + 1
        for i in np.flatnonzero(~usable & (tracks >= 0)):
            t = int(tracks[i])  # its first face, unless it has a usable one
            chosen[i] = t not in self.first and t not in self.seen
            self.first.add(t)
        return chosen


def process_video(path: str, detector: FaceDetector | None = None,
                  tracker: FaceTracker | None = None, embedder: FaceEmbedder | None = None,
                  shot_detector: ShotDetector | None = None, stride: int = 1,
                  faces: tuple[FaceTable, list[str]] | None = None,
                  store: FaceStoreWriter | None = None, batch_size: int = 8,
                  embed_stride: int = 1, embed_rules: QualityRules | None = None,
                  progress: Progress | None = None) -> VideoResult:
    """Run the requested stages over one video in a single decode.

    Args:
        path (str): Video file.
        detector (FaceDetector, optional): Detects faces; required unless ``faces`` is given.
        tracker (FaceTracker, optional): Links faces into tracks, reset at shot cuts.
        embedder (FaceEmbedder, optional): Aligns and embeds every face.
        shot_detector (ShotDetector, optional): Cut detection on the decoded frames (only
            when detecting: with ``faces`` given, frames are not all decoded).
        stride (int): Process every ``stride``-th frame when detecting. Defaults to 1.
        faces (tuple[FaceTable, list[str]], optional): Existing faces and their detection ids;
            skips detection.
        store (FaceStoreWriter, optional): Receives aligned crops while embedding.
        batch_size (int): Frames decoded per batch. Defaults to 8.
        embed_stride (int): Embed every ``embed_stride``-th usable face of each track (its
            first usable face always); other faces are aligned (crop, sharpness) but get NaN
            embeddings. Faces outside tracks are always embedded. Defaults to 1 (all).
        embed_rules (QualityRules, optional): What makes a face usable for that count;
            defaults to ``QualityRules()``.
        progress (callable, optional): ``progress(fraction, label)``.
    """
    info = probe(path)
    if faces is None and detector is None:
        raise ValueError("process_video needs a detector or existing faces")
    given = _by_frame(*faces) if faces is not None else None
    only = set(given) if given is not None else None
    if given is not None:
        shot_detector = None
    total = max(1, len(only) if only is not None else (info.num_frames or 1) // stride)

    rows: dict[str, list] = {k: [] for k in ("frames", "boxes", "scores", "landmarks", "tracks",
                                              "sharpness", "embeddings")}
    det_ids: list[str] = []
    frame_numbers: list[int] = []
    shot_ids: list[int] = []
    has_landmarks = True
    sampler = EmbedSampler(embed_stride, embed_rules)
    done = 0
    for numbers, images in iter_batches(iter_frames(path, stride, only=only), batch_size):
        found = detector(images) if given is None else [given[n][0] for n in numbers]
        crops_batch, first_row = [], len(rows["frames"])
        for number, image, ff in zip(numbers, images, found):
            frame_numbers.append(number)
            if shot_detector is not None:
                if shot_detector.update(image) and tracker is not None:
                    tracker.new_shot()
                shot_ids.append(shot_detector.shot_index)
            n = len(ff.boxes)
            if tracker is not None:
                ids = tracker.update(ff.boxes, ff.scores)
            elif given is not None:
                ids = given[number][2]
            else:
                ids = np.full(n, -1, dtype=np.int64)
            det_ids.extend(given[number][1] if given is not None
                           else [str(ObjectId()) for _ in range(n)])
            lm = ff.landmarks
            if lm is None:
                has_landmarks = False
                lm = landmarks_from_boxes(ff.boxes)
            rows["frames"].append(np.full(n, number, dtype=np.int64))
            rows["boxes"].append(np.asarray(ff.boxes, np.float32).reshape(-1, 4))
            rows["scores"].append(np.asarray(ff.scores, np.float32).reshape(-1))
            rows["landmarks"].append(np.asarray(lm, np.float32).reshape(-1, 5, 2))
            rows["tracks"].append(np.asarray(ids, np.int64).reshape(-1))
            if embedder is not None and n:
                crops_batch.append(align_faces(image, lm, size=embedder.input_size[0]))
        if embedder is not None and crops_batch:
            crops = np.concatenate(crops_batch)
            sharp = sharpness(crops)
            rows["sharpness"].append(sharp)
            batch = {k: np.concatenate(rows[k][first_row:]) for k in ("boxes", "scores", "tracks")}
            chosen = sampler(batch["tracks"], batch["boxes"], batch["scores"], sharp)
            emb = np.full((len(crops), embedder.embedding_dim), np.nan, np.float32)
            emb[chosen] = embedder(crops[chosen])
            rows["embeddings"].append(emb)
            if store is not None:
                store.add_crops(crops)
        done += len(numbers)
        if progress is not None:
            progress(min(done / total, 1.0), f"{done} frames of {path}")

    def cat(key, shape):
        return np.concatenate(rows[key]) if rows[key] else np.zeros(shape, np.float32)

    dim = embedder.embedding_dim if embedder is not None else 0
    table = FaceTable(
        frames=cat("frames", (0,)).astype(np.int64), boxes=cat("boxes", (0, 4)),
        scores=cat("scores", (0,)),
        landmarks=cat("landmarks", (0, 5, 2)) if has_landmarks else None,
        tracks=cat("tracks", (0,)).astype(np.int64),
        sharpness=cat("sharpness", (0,)) if embedder is not None else None,
        embeddings=cat("embeddings", (0, dim)) if embedder is not None else None)
    shots = shots_from_cuts(frame_numbers, shot_ids) if shot_ids else []
    if shots and info.num_frames:
        shots[-1] = (shots[-1][0], max(shots[-1][1], info.num_frames))
    return VideoResult(path, info.width, info.height, table, det_ids, shots, len(frame_numbers))
