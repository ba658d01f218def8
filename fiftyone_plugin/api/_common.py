"""What the library functions share: the collection's videos, progress, the face store's
place and transactions, and the models they build."""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from pathlib import Path

from .. import fo_io
from ..embedding.store import FaceStoreWriter, default_store_root
from ..pipeline import VideoResult
from ..video import probe


def collection_videos(samples) -> tuple[list[str], list[str]]:
    fo_io.validate_videos(samples)
    ids, paths = samples.values(["id", "filepath"])
    if not ids:
        raise ValueError("the collection is empty: nothing to process")
    return ids, paths


def sub_progress(progress, k: int, n: int):
    if progress is None:
        return None
    return lambda f, label: progress((k + f) / n, label)


STORE_INFO_KEY = "vfc_face_store"  # dataset.info: the id of the dataset its store is for


def face_store_root(samples, store_dir: str | None = None) -> Path:
    """The face store folder of a collection's dataset (``store_dir`` when given), keyed by
    the dataset's id. A clone has a new id and no store: reading it says what to do."""
    if store_dir:
        return Path(store_dir)
    dataset = samples._dataset
    root = default_store_root(str(dataset._doc.id))
    _adopt_store_named_after(dataset, root)
    return root


def _adopt_store_named_after(dataset, root: Path) -> None:
    """Stores of earlier versions were named after the dataset: move a safe one to its id."""
    name = dataset.name
    legacy = root.parent / name
    if (not root.exists() and Path(name).name == name and not name.startswith(".")
            and legacy.is_dir() and not (dataset.info or {}).get(STORE_INFO_KEY)):
        legacy.rename(root)


def require_own_store(samples, root: Path) -> None:
    """A clear error when a dataset has no store of its own but names another's (a clone)."""
    dataset = samples._dataset
    origin = (dataset.info or {}).get(STORE_INFO_KEY)
    if (root.is_dir() and any(root.iterdir())) or not origin or origin == str(dataset._doc.id):
        return
    other = default_store_root(origin)
    raise FileNotFoundError(
        f"dataset {dataset.name!r} has no face store of its own: its faces were stored for "
        f"dataset id {origin} (it was cloned or copied from that dataset). Run "
        "find_identities (or embed_faces) on it, or pass store_dir="
        f"'{other}' to read that dataset's store")


def mark_store_owner(samples) -> None:
    """Record in ``dataset.info`` which dataset the store belongs to (clones copy it)."""
    dataset = samples._dataset
    if (dataset.info or {}).get(STORE_INFO_KEY) != str(dataset._doc.id):
        dataset.info = dict(dataset.info or {}, **{STORE_INFO_KEY: str(dataset._doc.id)})
        dataset.save()


def build_detector(detector_config, checkpoint, score_thr, batch_size, device):
    from ..detection import FaceDetector

    return FaceDetector(detector_config, checkpoint, score_thr=score_thr,
                        batch_size=batch_size, device=device)


def build_embedder(backbone, checkpoint, device):
    from ..embedding import FaceEmbedder

    return FaceEmbedder(backbone, checkpoint, device=device)


def build_tracker(tracker_config):
    from ..tracking.tracker import FaceTracker

    return FaceTracker(tracker_config)


def summarize(results: dict[str, VideoResult]) -> dict:
    return dict(num_videos=len(results),
                num_faces=int(sum(len(r.faces) for r in results.values())),
                num_tracks=int(sum(len(set(r.faces.tracks[r.faces.tracks >= 0].tolist()))
                                   for r in results.values())),
                num_shots=int(sum(len(r.shots) for r in results.values())))


def read_face_tables(samples, field: str):
    """``(sample ids, paths, {id: (width, height)}, {id: (FaceTable, detection ids)})`` of
    the faces in a frame ``Detections`` field."""
    ids, paths = collection_videos(samples)
    fo_io.require_detections_field(samples, field)
    sizes = {}
    for sid, path in zip(ids, paths):
        info = probe(path)
        sizes[sid] = (info.width, info.height)
    return ids, paths, sizes, fo_io.read_faces(samples, field, sizes)


@contextmanager
def store_transaction(samples=None):
    """Store writers that commit only if the whole block (dataset writes included) worked;
    with ``samples`` (the default store), the dataset then records that it owns it."""
    writers: dict[str, FaceStoreWriter] = {}
    try:
        yield writers
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    for w in writers.values():
        w.commit()
    if samples is not None:
        mark_store_owner(samples)


def finish_store(writer: FaceStoreWriter, r: VideoResult, made_by: dict | None = None) -> None:
    t = r.faces
    writer.finish(r.det_ids, t.frames, t.tracks, t.boxes, t.scores, t.sharpness, t.embeddings,
                  made_by)


_CRASH_COUNTS: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Where the crash tests kill the process with SIGKILL: the points between the writes
    of a run, to check that a rerun repairs whatever was left. ``VFC_KILL_AT=name`` kills
    the first time the run passes ``name``, ``name#n`` the n-th time."""
    target = os.environ.get("VFC_KILL_AT")
    if not target:
        return
    _CRASH_COUNTS[name] = _CRASH_COUNTS.get(name, 0) + 1
    point, _, n = target.partition("#")
    if point == name and _CRASH_COUNTS[name] == int(n or 1):
        os.kill(os.getpid(), signal.SIGKILL)
