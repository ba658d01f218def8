"""On-disk face store: per-face embeddings, quality measures and aligned crops.

One folder per video (named by the FiftyOne sample id) under a per-dataset root::

    <root>/<sample_id>/faces.npz   det ids, frame numbers, track ids, boxes, scores,
                                   sharpness, embeddings (float32, unit norm)
    <root>/<sample_id>/crops.u8    aligned RGB crops, (N, S, S, 3) uint8, raw (S: the
                                   embedder's input size, stored as crop_size)
    <root>/<sample_id>/embeddings_<name>.npz
                                   other embeddings of the same faces (e.g. ``adapted``
                                   by the adaptation runner), with their provenance

Crops are streamed to disk while a video is decoded, so memory stays bounded. A writer works
in a temporary folder and :meth:`FaceStoreWriter.commit` swaps it in, so a failed run leaves
the previous store intact. Adaptation reads crops by detection id from here.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..assets import cache_dir
from ..tracking.tracks import FaceTable


def default_store_root(dataset_id: str) -> Path:
    """``$VFC_CACHE_DIR/stores/<dataset id>``: keyed by the dataset's id, so a rename keeps
    its store and no dataset name ever becomes a path."""
    if not re.fullmatch(r"[0-9a-f]{24}", str(dataset_id)):
        raise ValueError(f"{dataset_id!r} is not a dataset id")
    return cache_dir() / "stores" / str(dataset_id)


def stored_keys(root: str | os.PathLike, keys: list[str] | None = None) -> list[str]:
    """The videos (of ``keys``, else all) that have a committed store under ``root``."""
    root = Path(root)
    if keys is None:
        keys = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    return [k for k in keys if (root / k / "faces.npz").is_file()]


def _tmp_name(key: str) -> str:
    return f".{key}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"


def remove_stale_tmp(root: str | os.PathLike) -> list[Path]:
    """Delete the temporary folders of writers whose process is gone (a crash, a kill):
    ``.<key>.<pid>-<uuid>.tmp``. A live process's folders are left alone."""
    removed = []
    for path in Path(root).glob(".*.tmp") if Path(root).is_dir() else []:
        pid = path.name.rsplit(".", 2)[-2].split("-")[0]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FaceStoreWriter:
    """Write one video's faces; nothing is visible until :meth:`commit`."""

    def __init__(self, root: str | os.PathLike, key: str, crop_size: int = 112,
                 store_crops: bool = True) -> None:
        self.final = Path(root) / key
        self.tmp = Path(root) / _tmp_name(key)
        self.tmp.mkdir(parents=True)
        self.crop_size = crop_size
        self.num_crops = 0
        self._crops = open(self.tmp / "crops.u8", "wb") if store_crops else None

    def add_crops(self, crops: np.ndarray) -> None:
        if self._crops is not None and len(crops):
            self._crops.write(np.ascontiguousarray(crops, dtype=np.uint8).tobytes())
            self.num_crops += len(crops)

    def finish(self, det_ids: list[str], frames: np.ndarray, tracks: np.ndarray,
               boxes: np.ndarray, scores: np.ndarray, sharpness: np.ndarray,
               embeddings: np.ndarray, made_by: dict | None = None) -> None:
        """Write the faces' table; ``made_by``: how they were made (a rerun with the same
        settings may skip the video, :attr:`FaceStore.made_by`)."""
        if self._crops is not None:
            self._crops.close()
            if self.num_crops != len(det_ids):
                raise RuntimeError(f"{self.num_crops} crops for {len(det_ids)} faces")
        np.savez(self.tmp / "faces.npz", det_ids=np.asarray(det_ids, dtype="U24"),
                 frames=frames, tracks=tracks, boxes=boxes, scores=scores,
                 sharpness=sharpness, embeddings=embeddings,
                 crop_size=self.crop_size, has_crops=self._crops is not None,
                 made_by=json.dumps(made_by or {}, sort_keys=True))

    def commit(self) -> Path:
        """Swap the new folder in: the old one is renamed aside first, so a crash leaves
        either store, never a half-written one (leftovers: :func:`remove_stale_tmp`)."""
        old = None
        if self.final.exists():
            old = self.final.with_name(_tmp_name(self.final.name))
            self.final.rename(old)
        self.tmp.rename(self.final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.final

    def abort(self) -> None:
        if self._crops is not None and not self._crops.closed:
            self._crops.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class FaceStore:
    """Read the faces of one video written by :class:`FaceStoreWriter`."""

    def __init__(self, root: str | os.PathLike, key: str) -> None:
        self.path = Path(root) / key
        if not (self.path / "faces.npz").is_file():
            raise FileNotFoundError(
                f"no embeddings stored for sample {key} under {root}: run the embed stage "
                "(`embed_faces` / the 'Embed faces' operator) first")
        with np.load(self.path / "faces.npz") as z:
            self.arrays = {k: z[k] for k in z.files}
        self.det_ids = [str(i) for i in self.arrays["det_ids"]]
        self.row = {d: i for i, d in enumerate(self.det_ids)}

    def __len__(self) -> int:
        return len(self.det_ids)

    @property
    def made_by(self) -> dict:
        """The settings the faces were made with (empty for stores of earlier versions)."""
        made_by = self.arrays.get("made_by")
        return json.loads(str(made_by)) if made_by is not None else {}

    @property
    def embeddings(self) -> np.ndarray:
        return self.arrays["embeddings"]

    def table(self) -> FaceTable:
        """The stored faces as a table (frames, boxes, scores, tracks, sharpness)."""
        a = self.arrays
        return FaceTable(a["frames"], a["boxes"], a["scores"], tracks=a["tracks"],
                         sharpness=a["sharpness"])

    def crops(self) -> np.ndarray:
        """All crops as a read-only memory map ``(N, S, S, 3)``."""
        if not bool(self.arrays["has_crops"]):
            raise FileNotFoundError(f"crops were not stored for {self.path}")
        s = int(self.arrays["crop_size"])
        return np.memmap(self.path / "crops.u8", dtype=np.uint8, mode="r",
                         shape=(len(self), s, s, 3))

    def read_embeddings(self, name: str | None = None) -> tuple[np.ndarray, dict]:
        """The original embeddings (``name`` None or ``"original"``) or a named set written
        by :meth:`write_embeddings`, with its metadata."""
        if name in (None, "original"):
            return self.embeddings, {}
        path = self.path / f"embeddings_{name}.npz"
        if not path.is_file():
            raise FileNotFoundError(
                f"no '{name}' embeddings for {self.path.name}: run the adaptation "
                "(`vfc adapt` / the 'Adapt face model' operator) first, or use the original "
                "embeddings")
        with np.load(path) as z:
            emb, meta = z["embeddings"], json.loads(str(z["meta"]))
        if len(emb) != len(self):
            raise ValueError(f"{path} has {len(emb)} embeddings for {len(self)} faces: the "
                             "faces were re-embedded since; run the adaptation again")
        return emb, meta

    def write_embeddings(self, name: str, embeddings: np.ndarray, meta: dict) -> Path:
        """Atomically store another embedding of every face (row order of the store)."""
        if name == "original" or not name.replace("_", "").isalnum():
            raise ValueError(f"invalid embedding name {name!r}: use letters, digits, _")
        if len(embeddings) != len(self):
            raise ValueError(f"{len(embeddings)} embeddings for {len(self)} faces")
        path = self.path / f"embeddings_{name}.npz"
        tmp = self.path / f".embeddings_{name}.{uuid.uuid4().hex[:8]}.npz"
        np.savez(tmp, embeddings=np.asarray(embeddings, np.float32), meta=json.dumps(meta))
        os.replace(tmp, path)
        return path
