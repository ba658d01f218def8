"""BBT / Buffy ground truth: Bäuml/Tapaswi face tracks (``.mat``), BCL ``.ids`` labels with
per-track features, and KIT feature files (MATLAB v5 and v7.3).

Formats: ``docs/methods.md`` section 7. The episode videos are not public: the track
importer puts the tracks onto the user's own copies, or returns them alone (tracks-only).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .importer import (GroundTruthImporter, ImportOption, PlannedVideo, dataset_type,
                       import_ground_truth, register_importer)
from .tracks import FeatureTracks, GroundTruthTrack

BAUML_FRAME_SIZE = (1024, 576)
BAUML_FIELDS = ("x", "y", "w", "h", "frames", "trackerId", "groundTruthIdentity")
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".m4v")


def _struct_records(path: Path, required: tuple[str, ...]):
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        mat = loadmat(str(path), squeeze_me=True, struct_as_record=False)
    except (MatReadError, ValueError, NotImplementedError, OSError) as e:
        raise ValueError(f"cannot read {path} as a MATLAB file: {e}") from e
    for name, value in mat.items():
        if name.startswith("__"):
            continue
        records = np.atleast_1d(value)
        if records.dtype == object and len(records) and all(
                hasattr(records[0], f) for f in required):
            return name, records
    raise ValueError(f"{path} holds no struct array with fields {list(required)}")


def read_castlist(path: str | Path) -> list[str]:
    """Character names of a ``.cast`` file (JSON ``{"Characters": [{"name": ...}]}``)."""
    return [c["name"] for c in json.loads(Path(path).read_text())["Characters"]]


def load_bauml_tracks(path: str | Path, castlist: list[str] | None = None,
                      frame_offset: int = 0,
                      frame_size: tuple[int, int] = BAUML_FRAME_SIZE) -> list[GroundTruthTrack]:
    """Face tracks of one episode from a Bäuml/Tapaswi ``.facetracks.mat`` file.

    Args:
        path (str | Path): The ``.mat`` file.
        castlist (list[str], optional): Names for integer identities (1-based, as in the
            ``.cast`` files); integers outside it become ``unknown_<k>``. Defaults to None.
        frame_offset (int): Added to the file's frame numbers to get FiftyOne's 1-based
            numbers (1 if the file counts from 0). Defaults to 0.
        frame_size (tuple[int, int]): The boxes' pixel frame. Defaults to 1024 x 576.

    Returns:
        list[GroundTruthTrack]: One per track, in file order.
    """
    _, records = _struct_records(Path(path), BAUML_FIELDS)
    tracks = []
    for r in records:
        # small unsigned integers in the file: x + w would wrap around before the cast
        cols = [np.atleast_1d(getattr(r, k)).astype(np.float64) for k in ("x", "y", "w", "h")]
        frames = np.atleast_1d(r.frames).astype(np.int64) + frame_offset
        if not all(len(c) == len(frames) for c in cols):
            raise ValueError(f"{path}: track {r.trackerId} has boxes and frames of different "
                             "lengths")
        tracks.append(GroundTruthTrack(int(r.trackerId), _identity(r.groundTruthIdentity,
                                                                   castlist),
                                       frames, np.stack(cols, 1), frame_size))
    return tracks


def _identity(value, castlist) -> str:
    if isinstance(value, str):
        return value
    k = int(np.asarray(value).reshape(-1)[0])
    if castlist and 1 <= k <= len(castlist):
        return castlist[k - 1]
    return f"unknown_{k}" if castlist else str(k)


@register_importer
class BBTBuffyImporter(GroundTruthImporter):
    """Episodes of BBT / Buffy with their Bäuml/Tapaswi face tracks: every
    ``<name>.facetracks.mat`` in ``dataset_dir`` whose video ``<video_dir>/<name>.<ext>``
    exists becomes a sample with an ``episode`` field; episodes without a video are skipped
    and reported (``missing_videos``).

    Args:
        dataset_dir (str): Folder of ``.facetracks.mat`` files.
        video_dir (str): Folder of the user's episode videos.
        castlist_dir (str, optional): Folder of ``<name>.cast`` files naming the identities.
        frame_offset (int): See :func:`load_bauml_tracks`. Defaults to 0.
        **kwargs: :class:`~fiftyone_plugin.datasets.importer.GroundTruthImporter`'s.
    """

    NAME = "bbt-buffy"
    DATASET_DIR = "folder of Bauml/Tapaswi *.facetracks.mat files"
    OPTIONS = (
        ImportOption("video_dir", str, "folder of your episode videos (<name>.mp4, ...)"),
        ImportOption("castlist_dir", str, "folder of <name>.cast files naming identities"),
        ImportOption("frame_offset", int, "added to the files' frame numbers (1 if they "
                     "count from 0)"),
    )

    def __init__(self, dataset_dir: str, video_dir: str | None = None,
                 castlist_dir: str | None = None, frame_offset: int = 0, **kwargs) -> None:
        super().__init__(dataset_dir, **kwargs)
        if not video_dir:
            raise ValueError("bbt-buffy needs video_dir, the folder of your episode videos "
                             "(the episodes are not public)")
        self.video_dir, self.castlist_dir = video_dir, castlist_dir
        self.frame_offset = int(frame_offset or 0)

    def plan(self):
        files = sorted(Path(self.dataset_dir).glob("*.facetracks.mat"))
        if not files:
            raise ValueError(f"no *.facetracks.mat file in {self.dataset_dir}")
        planned, missing = [], []
        for f in files:
            name = f.name[:-len(".facetracks.mat")]
            video = find_video(self.video_dir, name)
            if video is None:
                missing.append(name)
                continue
            cast = None
            if self.castlist_dir and (Path(self.castlist_dir) / f"{name}.cast").exists():
                cast = read_castlist(Path(self.castlist_dir) / f"{name}.cast")
            planned.append(PlannedVideo(video, load_bauml_tracks(f, cast, self.frame_offset),
                                        dict(episode=name), []))
        if not planned:
            raise ValueError(f"none of the episodes in {self.dataset_dir} has its video in "
                             f"{self.video_dir} (looked for {missing[0]}{VIDEO_SUFFIXES[0]} "
                             "and similar)")
        return planned, dict(missing_videos=missing)


BBTBuffyDataset = dataset_type(BBTBuffyImporter)


def import_bbt_buffy(dataset, tracks_dir: str | Path, video_dir: str | Path,
                     castlist_dir: str | Path | None = None, gt_field: str = "gt_faces",
                     frame_offset: int = 0, progress=None) -> dict:
    """Add the episodes of :class:`BBTBuffyImporter` to a video dataset.

    Returns:
        dict: ``episodes`` added, ``tracks``, ``faces`` and ``missing_videos`` (names).
    """
    summary = import_ground_truth(dataset, BBTBuffyImporter.NAME, str(tracks_dir), gt_field,
                                  progress, video_dir=str(video_dir),
                                  castlist_dir=castlist_dir and str(castlist_dir),
                                  frame_offset=frame_offset)
    return dict(episodes=summary.pop("videos"), **summary)


def load_bcl_ids(path: str | Path, features_dir: str | Path | None = None) -> FeatureTracks:
    """BCL labels (``CVHCI_TRACKLABELS_V1`` then ``<track_id> <name>`` lines) and, with
    ``features_dir``, each track's ``<features_dir>/<track_id>.npy`` (``[frames, D]``)."""
    lines = Path(path).read_text().split("\n")
    if not lines or lines[0].strip() != "CVHCI_TRACKLABELS_V1":
        raise ValueError(f"{path} is not a BCL .ids file (first line must be "
                         "CVHCI_TRACKLABELS_V1)")
    ids, labels = [], []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[0].lstrip("-").isdigit():
            raise ValueError(f"{path}:{n}: expected '<track_id> <name>', got {line!r}")
        ids.append(int(parts[0]))
        labels.append(parts[1])
    features = []
    if features_dir is not None:
        for t in ids:
            f = Path(features_dir) / f"{t}.npy"
            if not f.exists():
                raise FileNotFoundError(f"feature file {f} of track {t} is missing")
            features.append(np.atleast_2d(np.load(f)).astype(np.float32))
    return FeatureTracks(ids, labels, features)


def load_kit_features(features_path: str | Path, tracks_path: str | Path | None = None,
                      crop: int = 0) -> FeatureTracks:
    """KIT features: MATLAB v5 (``features_vgg`` ``D x max_frames x n_tracks``, zero-padded,
    plus a ``Tracks`` struct in ``tracks_path`` or the same file) or v7.3/HDF5 (FGG's
    ``features_vgg`` ``C x F x D`` with all frames concatenated in track order and a
    ``Tracks`` group).

    Labels are the ``labelid`` numbers as strings (``label`` / ``groundTruthIdentity`` text
    in v7.3). The KIT protocol drops label 2 (unknown) and the largest label (false
    accepts): see :func:`kit_is_unknown`.
    """
    path = Path(features_path)
    import h5py

    if h5py.is_hdf5(str(path)):
        return _kit_v73(path, crop)
    from scipy.io import loadmat

    feats = loadmat(str(path))
    if "features_vgg" not in feats:
        raise ValueError(f"{path} has no 'features_vgg' array")
    _, records = _struct_records(Path(tracks_path) if tracks_path else path,
                                 ("labelid", "numframes", "trackerId"))
    fv = np.asarray(feats["features_vgg"], np.float32)
    if fv.ndim == 2:
        fv = fv[:, :, None]
    if fv.shape[2] != len(records):
        raise ValueError(f"{path}: {fv.shape[2]} feature tracks but {len(records)} Tracks")
    return FeatureTracks([int(r.trackerId) for r in records],
                         [str(int(r.labelid)) for r in records],
                         [fv[:, :int(r.numframes), i].T.copy() for i, r in enumerate(records)])


def _kit_v73(path: Path, crop: int) -> FeatureTracks:
    import h5py

    with h5py.File(path, "r") as f:
        if "features_vgg" not in f or "Tracks" not in f:
            raise ValueError(f"{path} needs 'features_vgg' and a 'Tracks' group")
        fv = np.asarray(f["features_vgg"], np.float32)
        fv = fv[crop] if fv.ndim == 3 else fv
        tracks = f["Tracks"]
        label_key = next((k for k in ("label", "groundTruthIdentity", "labelid")
                          if k in tracks), None)
        if label_key is None:
            raise ValueError(f"{path}: Tracks has no label, groundTruthIdentity or labelid")
        counts = [_h5_int(v) for v in _h5_values(f, tracks["numframes"])]
        ids = [_h5_int(v) for v in _h5_values(f, tracks["trackerId"])]
        labels = [_h5_text(v) for v in _h5_values(f, tracks[label_key])]
    if sum(counts) != len(fv):
        raise ValueError(f"{path}: numframes add up to {sum(counts)}, features have {len(fv)}")
    bounds = np.cumsum([0] + counts)
    return FeatureTracks(ids, labels, [fv[a:b] for a, b in zip(bounds[:-1], bounds[1:])])


def _h5_values(f, ds) -> list:
    """Per-track values of a MATLAB v7.3 struct-array field (references or numbers)."""
    import h5py

    arr = np.asarray(ds)
    if arr.dtype == h5py.ref_dtype:
        return [np.asarray(f[r]) for r in arr.reshape(-1)]
    return list(arr.reshape(-1))


def _h5_int(value) -> int:
    return int(np.asarray(value).reshape(-1)[0])


def _h5_text(value) -> str:
    flat = np.asarray(value).reshape(-1)
    if flat.dtype.kind == "U":
        return str(flat[0])
    if flat.dtype.kind == "u" and flat.dtype.itemsize == 2:  # MATLAB chars: uint16 codes
        return "".join(map(chr, flat))
    return str(_h5_int(flat))


def kit_is_unknown(labels: list[str]):
    """The KIT protocol's unknown test: label 2 and the largest numeric label."""
    top = max(int(v) for v in labels if v.lstrip("-").isdigit())
    return lambda v: v is None or not str(v).lstrip("-").isdigit() or int(v) in (2, top)


def find_video(video_dir: str | Path, name: str) -> Path | None:
    return next((Path(video_dir) / f"{name}{s}" for s in VIDEO_SUFFIXES
                 if (Path(video_dir) / f"{name}{s}").exists()), None)
