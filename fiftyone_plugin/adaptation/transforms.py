"""Face-crop augmentations of VideoClusterNet: horizontal flip, rotation, colour temperature.

Each transform takes and returns a ``results`` dict with ``img`` (an ``(H, W, 3)`` uint8 RGB
crop) and ``rng`` (a ``numpy.random.Generator``): randomness comes only from that generator,
so a dataset seeded per item is deterministic whatever the worker layout.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomFlip:
    """Mirror the crop left-right.

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        if results["rng"].random() < self.prob:
            results["img"] = np.ascontiguousarray(results["img"][:, ::-1])
        return results


@TRANSFORMS.register_module()
class RandomRotate:
    """Rotate about the crop centre by a uniform angle, replicating the border.

    Args:
        max_angle (float): Largest rotation in degrees, either way. Defaults to 15.
    """

    def __init__(self, max_angle: float = 15.0) -> None:
        self.max_angle = max_angle

    def __call__(self, results: dict) -> dict:
        img = results["img"]
        angle = results["rng"].uniform(-self.max_angle, self.max_angle)
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        results["img"] = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REPLICATE)
        return results


@TRANSFORMS.register_module()
class ColorTemperature:
    """Warm or cool the crop: red and blue gains move in opposite directions.

    Args:
        max_shift (float): Largest relative gain change. Defaults to 0.15.
    """

    def __init__(self, max_shift: float = 0.15) -> None:
        self.max_shift = max_shift

    def __call__(self, results: dict) -> dict:
        shift = results["rng"].uniform(-self.max_shift, self.max_shift)
        gains = np.array([1.0 + shift, 1.0, 1.0 - shift], np.float32)  # RGB
        results["img"] = np.clip(results["img"] * gains, 0, 255).astype(np.uint8)
        return results


def build_pipeline(cfgs) -> list:
    return [TRANSFORMS.build(c) if isinstance(c, dict) else c for c in (cfgs or [])]
