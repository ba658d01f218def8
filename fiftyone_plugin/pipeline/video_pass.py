"""Run a list of steps over one video in a single streaming decode."""
from __future__ import annotations

from typing import Callable

from ..detection.face_detector import FaceDetector
from ..embedding.embedder import FaceEmbedder
from ..embedding.store import FaceStoreWriter
from ..tracking.tracker import FaceTracker
from ..tracking.tracks import QualityRules
from ..video import VideoInfo, count_tolerance, iter_batches, iter_frames, probe
from .state import FrameBatch, VideoResult, VideoState
from .steps import (AlignFaces, DetectFaces, DetectShots, EmbedFaces, FaceSource, StoreCrops,
                    TrackFaces, VideoStep)

Progress = Callable[[float, str], None]


def run_video_pass(path: str, steps: list[VideoStep], batch_size: int = 8,
                   progress: Progress | None = None) -> VideoResult:
    """Decode the frames ``steps[0]`` (a :class:`FaceSource`) asks for, ``batch_size`` at a
    time, run every step on each batch in order and keep what they found.

    Args:
        path (str): Video file.
        steps (list[VideoStep]): A face source, then any steps that read what earlier
            ones filled in.
        batch_size (int): Frames decoded per batch. Defaults to 8.
        progress (callable, optional): ``progress(fraction, label)``.
    """
    if not steps or not isinstance(steps[0], FaceSource):
        raise ValueError("a video pass starts with a FaceSource (DetectFaces or StoredFaces)")
    info = probe(path)
    stride, only = steps[0].frames(info)
    total = max(1, len(only) if only is not None else (info.num_frames or 1) // stride)
    state = VideoState(info)
    for numbers, images in iter_batches(iter_frames(path, stride, only=only), batch_size):
        batch = FrameBatch(numbers, images)
        for step in steps:
            step(batch)
        state.add(batch)
        if progress is not None:
            done = len(state.frame_numbers)
            progress(min(done / total, 1.0), f"{done} frames of {path}")
    result = state.result()
    result.decode_error = _shortfall(info, stride, only, state.frame_numbers)
    return result


def _shortfall(info: VideoInfo, stride: int, only: set[int] | None,
               numbers: list[int]) -> str | None:
    """Why decoding stopped before the frames it should reach, or None."""
    if only is not None:
        wanted = max(only, default=0)
        tolerance = 0  # those frames were decoded before: each must decode again
    elif info.num_frames:
        wanted = 1 + (info.num_frames - 1) // stride * stride
        tolerance = count_tolerance(info.num_frames)
    else:
        return None  # the container gives no count to check against
    last = numbers[-1] if numbers else 0
    if last + tolerance >= wanted:
        return None
    return (f"decoding stopped after frame {last} of {info.num_frames} (the container's "
            f"count): {len(numbers)} frames read; the file is cut short or corrupt")


def find_faces_steps(detector: FaceDetector, tracker: FaceTracker, embedder: FaceEmbedder,
                     store: FaceStoreWriter | None = None, stride: int = 1,
                     embed_stride: int = 1, rules: QualityRules | None = None
                     ) -> list[VideoStep]:
    """The whole pass: detect every ``stride``-th frame, cuts, tracks, aligned crops (to
    ``store``), and one usable face in ``embed_stride`` of each track embedded."""
    steps = [DetectFaces(detector, stride), DetectShots(), TrackFaces(tracker),
             AlignFaces(embedder.input_size[0]), EmbedFaces(embedder, embed_stride, rules)]
    return steps + ([StoreCrops(store)] if store is not None else [])
