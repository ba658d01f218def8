"""Tiny self-made files in the exact formats the importers read (methods.md section 8.6).

Nothing here comes from a real dataset: tracks, boxes and features are synthetic.
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
from scipy.io import savemat

from .conftest import write_video


def bauml_mat(path: Path) -> list[dict]:
    """A v5 ``.facetracks.mat`` with 3 tracks; coordinates stored as uint8/uint16 so that
    ``x + w`` overflows unless the reader casts (x=200, w=100 in uint8 wraps to 44)."""
    tracks = [
        dict(x=np.array([200, 201], np.uint8), y=np.array([10, 11], np.uint8),
             w=np.array([100, 100], np.uint8), h=np.array([120, 120], np.uint8),
             frames=np.array([1, 2], np.uint16), timestamps=np.array([0.04, 0.08]),
             trackerId=np.uint16(11), groundTruthIdentity=np.uint8(1),
             pan=np.zeros(2), lip_diff=np.zeros(2)),
        dict(x=np.array([600, 610, 620], np.uint16), y=np.array([300] * 3, np.uint16),
             w=np.array([80] * 3, np.uint8), h=np.array([90] * 3, np.uint8),
             frames=np.array([2, 3, 4], np.uint16), timestamps=np.array([.08, .12, .16]),
             trackerId=np.uint16(12), groundTruthIdentity=np.uint8(2),
             pan=np.zeros(3), lip_diff=np.zeros(3)),
        dict(x=np.array([50], np.uint16), y=np.array([50], np.uint16),
             w=np.array([40], np.uint8), h=np.array([40], np.uint8),
             frames=np.array([5], np.uint16), timestamps=np.array([.2]),
             trackerId=np.uint16(13), groundTruthIdentity=np.uint8(9),
             pan=np.zeros(1), lip_diff=np.zeros(1)),
    ]
    records = np.empty((1, len(tracks)), dtype=object)
    for i, t in enumerate(tracks):
        records[0, i] = t
    savemat(str(path), {"FaceTracks": _struct_array(tracks)})
    return tracks


def _struct_array(dicts: list[dict]) -> np.ndarray:
    keys = list(dicts[0])
    arr = np.zeros((1, len(dicts)), dtype=[(k, object) for k in keys])
    for i, d in enumerate(dicts):
        for k in keys:
            arr[0, i][k] = d[k]
    return arr


def castlist(path: Path, names: list[str]) -> None:
    path.write_text(json.dumps({"Characters": [
        {"name": n, "is_important": 1, "gender": "m"} for n in names]}, indent="\t"))


def bcl(root: Path, dim: int = 16) -> tuple[Path, Path, dict[int, str]]:
    """``<root>/ids/ep.ids`` and ``<root>/features/ep/<track_id>.npy`` (sparse track ids)."""
    labels = {5: "leonard", 17: "sheldon", 230: "leonard", 4082: "unknown_e01_1"}
    (root / "ids").mkdir(parents=True)
    feats = root / "features" / "ep"
    feats.mkdir(parents=True)
    lines = ["CVHCI_TRACKLABELS_V1"] + [f"{t} {n}" for t, n in labels.items()]
    (root / "ids" / "ep.ids").write_text("\n".join(lines) + "\n")
    rng = np.random.default_rng(0)
    for k, t in enumerate(labels):
        np.save(feats / f"{t}.npy", rng.normal(size=(3 + k, dim)).astype(np.float32))
    return root / "ids" / "ep.ids", feats, labels


KIT_LABELS = [1, 1, 3, 3, 2, 4, 1, 3, 5, 2, 4, 1]  # 2 = unknown, 5 = false accepts
KIT_FRAMES = [3, 2, 4, 1, 2, 3, 2, 2, 1, 3, 2, 4]


def kit_v5(path: Path, dim: int = 8) -> np.ndarray:
    """``features_vgg`` (D x max_frames x n_tracks, zero-padded) and ``Tracks`` in one file."""
    n, mf = len(KIT_LABELS), max(KIT_FRAMES)
    fv = np.zeros((dim, mf, n), np.float32)
    for i, k in enumerate(KIT_FRAMES):
        fv[:, :k, i] = i + 1 + np.arange(k)[None]  # frame j of track i = i + 1 + j
    tracks = [dict(labelid=np.uint8(lab), numframes=np.uint16(k), trackerId=np.uint16(100 + i))
              for i, (lab, k) in enumerate(zip(KIT_LABELS, KIT_FRAMES))]
    savemat(str(path), {"features_vgg": fv, "Tracks": _struct_array(tracks)})
    return fv


def kit_v73(path: Path, dim: int = 8) -> np.ndarray:
    """FGG's HDF5 layout: ``features_vgg`` C x F x D (frames concatenated in track order)
    and a ``Tracks`` group whose fields are per-track object references; ``label`` is text
    stored as uint16 character codes, as MATLAB writes it."""
    rows = [np.full((k, dim), i + 1, np.float32) for i, k in enumerate(KIT_FRAMES)]
    fv = np.concatenate(rows)[None].repeat(2, axis=0)  # 2 crops
    fv[1] *= -1
    with h5py.File(path, "w") as f:
        f["features_vgg"] = fv
        refs = f.create_group("#refs#")
        g = f.create_group("Tracks")
        for name, values in (("trackerId", [100 + i for i in range(len(KIT_FRAMES))]),
                             ("numframes", KIT_FRAMES),
                             ("label", [f"name{lab}" for lab in KIT_LABELS])):
            ds_refs = []
            for i, v in enumerate(values):
                data = (np.array([[ord(c)] for c in v], np.uint16) if isinstance(v, str)
                        else np.array([[v]], np.float64))
                refs[f"{name}{i}"] = data
                ds_refs.append(refs[f"{name}{i}"].ref)
            g.create_dataset(name, data=np.array(ds_refs, dtype=h5py.ref_dtype)[:, None])
    return fv


def easycom(root: Path, fps: int = 20) -> dict:
    """One recording (Session_4, a validation session) with two 1-minute segments cut to a
    few frames: 64x48 videos with coloured squares as faces and the JSON boxes."""
    import cv2

    out = {}
    for seg, n in (("00-00-000", 12), ("01-00-000", 8)):
        vdir = root / "Main" / "Video_Compressed" / "Session_4"
        bdir = root / "Main" / "Face_Bounding_Boxes" / "Session_4"
        vdir.mkdir(parents=True, exist_ok=True)
        bdir.mkdir(parents=True, exist_ok=True)
        frames, boxes = [], []
        for i in range(n):
            img = np.zeros((48, 64, 3), np.uint8)
            parts = []
            for pid, x, colour in ((1, 4, (0, 0, 255)), (3, 40, (0, 255, 0))):
                if pid == 3 and i in (3, 4, 5, 6, 7, 8, 9):  # participant 3 leaves, returns
                    continue
                cv2.rectangle(img, (x, 10), (x + 16, 30), colour, -1)
                parts.append(dict(Participant_ID=pid, x1=x, y1=10, x2=x + 16, y2=30))
            frames.append(img)
            if i != 2:  # a frame without annotation
                boxes.append(dict(Frame_Number=i + 1, Participants=parts))
        write_video(vdir / f"{seg}.mp4", frames, fps=fps)
        (bdir / f"{seg}.json").write_text(json.dumps(boxes))
        out[seg] = boxes
    # a video without boxes is reported, not imported
    write_video(root / "Main" / "Video_Compressed" / "Session_4" / "02-00-000.mp4",
                [np.zeros((48, 64, 3), np.uint8)] * 3, fps=fps)
    return out
