"""Streaming video decoding: one pass per video, frames never all in memory."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np


class VideoError(RuntimeError):
    """A video is missing or cannot be decoded."""


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    num_frames: int  # as reported by the container; may be approximate


def open_video(path: str) -> cv2.VideoCapture:
    """Open a video for decoding or raise :class:`VideoError` with what to check."""
    if not os.path.isfile(path):
        raise VideoError(f"video not found: {path}. Check the sample's filepath.")
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"cannot decode {path}: not a video OpenCV/FFmpeg can read.")
    return cap


def probe(path: str) -> VideoInfo:
    cap = open_video(path)
    try:
        ok, frame = cap.read()
        if not ok:
            raise VideoError(f"cannot decode {path}: no readable frame.")
        h, w = frame.shape[:2]
        return VideoInfo(path, w, h, float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
                         int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
    finally:
        cap.release()


def count_tolerance(num_frames: int) -> int:
    """Frames a container's count may be off by (estimated from duration and rate by some
    formats) before a shortfall means the file is cut short or corrupt."""
    return max(2, num_frames // 100)


def check_decodable(path: str) -> VideoInfo:
    """Probe a video and decode its last frames, before any heavy work: a missing,
    unreadable or truncated file raises :class:`VideoError` saying so."""
    info = probe(path)
    if info.num_frames <= 1:
        return info
    cap = open_video(path)
    try:
        for number in (info.num_frames, info.num_frames - count_tolerance(info.num_frames)):
            cap.set(cv2.CAP_PROP_POS_FRAMES, max(0, number - 1))
            if cap.read()[0]:
                return info
    finally:
        cap.release()
    raise VideoError(f"cannot decode {path}: its last frames (of {info.num_frames} the "
                     "container announces) do not decode, so the file is cut short or "
                     "corrupt. Replace it, or re-encode what is readable (e.g. ffmpeg -i IN "
                     "-c:v libx264 OUT.mp4).")


def iter_frames(path: str, stride: int = 1, max_frames: int | None = None,
                only: set[int] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame_number, BGR frame)`` for every ``stride``-th frame.

    Frame numbers are 1-based, as in FiftyOne. Skipped frames are grabbed, not decoded.

    Args:
        path (str): Video file.
        stride (int): Keep frames 1, 1 + stride, 1 + 2 * stride, ... Defaults to 1.
        max_frames (int, optional): Stop after this many frames of the video.
            Defaults to None (all).
        only (set[int], optional): Decode only these frame numbers (and stop after the
            last one). Defaults to None.
    """
    if stride < 1:
        raise ValueError(f"frame stride must be >= 1, got {stride}")
    cap = open_video(path)
    try:
        number = 0
        decoded_any = False
        last = max(only) if only else None
        while (max_frames is None or number < max_frames) and (last is None or number < last):
            number += 1
            if (number - 1) % stride or (only is not None and number not in only):
                if not cap.grab():
                    break
                continue
            ok, frame = cap.read()
            if not ok:
                break
            decoded_any = True
            yield number, frame
        if not decoded_any and only != set():
            raise VideoError(f"cannot decode {path}: no readable frame.")
    finally:
        cap.release()


def iter_batches(frames: Iterator[tuple[int, np.ndarray]], batch_size: int
                 ) -> Iterator[tuple[list[int], list[np.ndarray]]]:
    """Group ``(number, frame)`` pairs into lists of at most ``batch_size``."""
    numbers, images = [], []
    for number, frame in frames:
        numbers.append(number)
        images.append(frame)
        if len(images) == batch_size:
            yield numbers, images
            numbers, images = [], []
    if images:
        yield numbers, images
