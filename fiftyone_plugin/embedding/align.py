"""5-point similarity alignment to the ArcFace 112x112 template, and crop quality."""
from __future__ import annotations

import cv2
import numpy as np

# ArcFace 112x112 destination points (x, y): right eye, left eye, nose, right and left mouth
# corners (OpenCV's naming: "right" is on the image's left). Same order as YuNet's landmarks.
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)

# Where those points sit inside a face box, as fractions of box width/height: the mean over
# YuNet detections of frontal faces (used only for detectors without landmarks).
BOX_RELATIVE_LANDMARKS = np.array(
    [[0.31, 0.40], [0.69, 0.40], [0.50, 0.58], [0.35, 0.76], [0.65, 0.76]], dtype=np.float64)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) ``src -> dst``.

    Umeyama (1991), no reflection. Returns the 2x3 matrix for ``cv2.warpAffine``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    var = (s ** 2).sum() / len(src)
    scale = (sig * np.diag(sign)).sum() / var if var > 0 else 1.0
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def landmarks_from_boxes(boxes_xyxy: np.ndarray) -> np.ndarray:
    """Approximate 5 landmarks from boxes, for detectors that give none. ``(N, 5, 2)``."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    wh = (boxes[:, 2:] - boxes[:, :2])[:, None, :]
    return boxes[:, None, :2] + BOX_RELATIVE_LANDMARKS[None] * wh


def align_faces(image_bgr: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """Warp every face to the template. Returns ``(N, size, size, 3)`` **RGB** uint8 crops."""
    landmarks = np.asarray(landmarks, dtype=np.float64).reshape(-1, 5, 2)
    dst = ARCFACE_TEMPLATE * (size / 112.0)
    crops = np.empty((len(landmarks), size, size, 3), dtype=np.uint8)
    for i, pts in enumerate(landmarks):
        m = similarity_transform(pts, dst)
        crop = cv2.warpAffine(image_bgr, m, (size, size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        crops[i] = crop[..., ::-1]
    return crops


def sharpness(crops_rgb: np.ndarray) -> np.ndarray:
    """Variance of the Laplacian of each crop's grey image (low = blurry)."""
    out = np.empty(len(crops_rgb), dtype=np.float32)
    for i, crop in enumerate(crops_rgb):
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
        out[i] = cv2.Laplacian(grey, cv2.CV_32F).var()
    return out
