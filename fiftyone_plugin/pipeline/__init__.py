"""One streaming pass over a video, as explicit steps over a per-video state.

A pass is a list of :class:`VideoStep` objects run on each decoded batch of frames: a
face source (:class:`DetectFaces` or :class:`StoredFaces`), then any of
:class:`DetectShots`, :class:`TrackFaces`, :class:`AlignFaces`, :class:`EmbedFaces` and
:class:`StoreCrops`. :func:`run_video_pass` decodes, runs them and returns a
:class:`VideoResult`. No FiftyOne here: results are written by :mod:`fiftyone_plugin.fo_io`.
"""
from .state import FrameBatch, VideoResult, VideoState
from .steps import (AlignFaces, DetectFaces, DetectShots, EmbedFaces, EmbedSampler, FaceSource,
                    StoreCrops, StoredFaces, TrackFaces, VideoStep)
from .video_pass import find_faces_steps, run_video_pass

# Embed one usable face in 10 per track: 2.5 per second at 25 fps, >= 8 (all clustering
# uses) in any track over 3 s; 1x real time at 720p on 2 cores (BENCHMARKS.md, Speed).
DEFAULT_EMBED_STRIDE = 10

__all__ = ["AlignFaces", "DEFAULT_EMBED_STRIDE", "DetectFaces", "DetectShots", "EmbedFaces",
           "EmbedSampler", "FaceSource", "FrameBatch", "StoreCrops", "StoredFaces",
           "TrackFaces", "VideoResult", "VideoState", "VideoStep", "find_faces_steps",
           "run_video_pass"]
