"""Face embeddings of labelled still photos, and track sets built from them, for benchmarks.

A folder laid out as ``<identity>/<image>`` (``../shared/data/lfw_dev``, ``../shared/data/orl``)
becomes a features-only track set: each photo is one track whose "frames" are the photo's
aligned face plus ``views - 1`` re-alignments with small geometric and photometric changes
(mirror, rotation, scale, shift, blur, brightness), the way consecutive video frames of one
person differ. Faces go through our pipeline (mmdet YuNet, 5-point alignment, PyTorch SFace).

Embeddings are cached under ``benchmarks/out/cache`` (ignored by git; derived data never
enters the repository).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DATA_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / "out" / "cache"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp"}


@dataclass
class TrackSet:
    """``features[i]`` is track i's ``(frames, D)`` unit embeddings; ``labels[i]`` its identity."""

    features: list[np.ndarray]
    labels: np.ndarray
    names: list[str]

    @property
    def num_identities(self) -> int:
        return len(set(self.labels.tolist()))


def labelled_photos(root: Path, min_photos: int = 1, max_photos: int | None = None,
                    distractors: int = 0, seed: int = 0) -> list[tuple[Path, str]]:
    """``(file, identity)`` for identities with ``>= min_photos`` photos (at most
    ``max_photos`` each, chosen with ``seed``) plus ``distractors`` single photos of other
    identities."""
    rng = np.random.default_rng(seed)
    people = {p.name: sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
              for p in sorted(root.iterdir()) if p.is_dir()}
    chosen, others = [], []
    for name, files in people.items():
        if len(files) >= min_photos:
            if max_photos and len(files) > max_photos:
                files = [files[i] for i in sorted(rng.choice(len(files), max_photos, False))]
            chosen += [(f, name) for f in files]
        elif files:
            others.append((files[rng.integers(len(files))], name))
    if distractors:
        picks = rng.choice(len(others), min(distractors, len(others)), replace=False)
        chosen += [others[i] for i in sorted(picks)]
    return chosen


def read_photo(path: Path) -> np.ndarray:
    """A photo as BGR; tight small crops (ORL) padded and upscaled so a detector sees a face."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f"cannot read {path}")
    h, w = img.shape[:2]
    if max(h, w) < 200:
        img = cv2.copyMakeBorder(img, h // 2, h // 2, w // 2, w // 2, cv2.BORDER_REPLICATE)
        img = cv2.resize(img, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    return img


def central_face(img: np.ndarray, faces) -> tuple[np.ndarray, np.ndarray | None]:
    """``(box xyxy, landmarks)`` of the detected face nearest the image centre; without a
    detection, the central box these folders put the face in and no landmarks."""
    h, w = img.shape[:2]
    if not len(faces.boxes):
        return np.array([w * .3, h * .28, w * .7, h * .72], np.float64), None
    c = (faces.boxes[:, :2] + faces.boxes[:, 2:]) / 2
    k = int(np.argmin(((c - [w / 2, h / 2]) ** 2).sum(1)))
    return faces.boxes[k].astype(np.float64), faces.landmarks[k]


def _views(img: np.ndarray, lm: np.ndarray, views: int, rng) -> np.ndarray:
    from fiftyone_plugin.embedding import align_faces

    base = align_faces(img, lm[None])[0]
    out = [base, base[:, ::-1]]
    centre = lm.mean(0)
    while len(out) < views:
        angle = np.deg2rad(rng.uniform(-10, 10))
        scale = rng.uniform(0.92, 1.08)
        rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        shift = rng.uniform(-0.04, 0.04, 2) * np.ptp(lm[:, 0])
        crop = align_faces(img, ((lm - centre) @ rot.T + centre + shift)[None])[0]
        crop = np.clip(crop.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-20, 20),
                       0, 255).astype(np.uint8)
        if rng.random() < 0.5:
            crop = cv2.GaussianBlur(crop, (0, 0), rng.uniform(0.5, 1.5))
        out.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
    return np.stack(out[:views])


def embed_photos(files: list[Path], views: int = 6, seed: int = 0, batch: int = 16,
                 stats: dict | None = None) -> list[np.ndarray]:
    """``(views, 128)`` SFace embeddings per photo (the face nearest the image centre).

    ``stats``, when given, receives ``missed``: photos where no face was detected (their
    face is then taken from the image centre).
    """
    stats = {} if stats is None else stats
    from fiftyone_plugin.detection import NATIVE_CONFIG, FaceDetector
    from fiftyone_plugin.embedding import FaceEmbedder, landmarks_from_boxes

    key = hashlib.sha1(("\n".join(map(str, files)) + f"|{views}|{seed}").encode()).hexdigest()
    cache = CACHE / f"photos_{key[:16]}.npz"
    if cache.exists():
        data = np.load(cache)
        stats["missed"] = int(data["missed"])
        return list(data["emb"].reshape(len(files), views, -1))
    # stills at their own resolution (the cache keys and earlier numbers assume it)
    detector = FaceDetector(str(NATIVE_CONFIG), score_thr=0.5, batch_size=batch)
    embedder = FaceEmbedder()
    rng = np.random.default_rng(seed)
    out, missed = [], 0
    for i in range(0, len(files), batch):
        imgs = [read_photo(f) for f in files[i:i + batch]]
        crops = []
        for img, faces in zip(imgs, detector(imgs)):
            box, lm = central_face(img, faces)
            if lm is None:
                missed += 1
                lm = landmarks_from_boxes(box[None])[0]
            crops.append(_views(img, lm.astype(np.float64), views, rng))
        emb = embedder(np.concatenate(crops))
        out += list(emb.reshape(len(imgs), views, -1))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cache, emb=np.stack(out), missed=missed)
    stats["missed"] = missed
    return out


def photo_track_set(folder: str, min_photos: int = 1, max_photos: int | None = None,
                    distractors: int = 0, views: int = 6, seed: int = 0) -> TrackSet | None:
    """The track set of ``../shared/data/<folder>``, or None when the folder is absent."""
    root = DATA_ROOT / folder
    if not root.is_dir():
        return None
    photos = labelled_photos(root, min_photos, max_photos, distractors, seed)
    names = sorted({n for _, n in photos})
    index = {n: i for i, n in enumerate(names)}
    feats = embed_photos([f for f, _ in photos], views, seed)
    return TrackSet(feats, np.array([index[n] for _, n in photos]), names)
