"""EasyCom (Donley et al. 2021) face boxes as a FiftyOne video dataset.

Layout (``docs/methods.md`` section 7)::

    <root>/Main/Video_Compressed/Session_<n>/<mm-ss-SSS>.mp4
    <root>/Main/Face_Bounding_Boxes/Session_<n>/<mm-ss-SSS>.json

Each JSON is a list of ``{"Frame_Number": 1-based, "Participants": [{"Participant_ID",
"x1", "y1", "x2", "y2"}]}``. Ground-truth tracks link one participant's boxes over
consecutive frames of a segment and break at gaps longer than ``max_gap`` frames.
Participant ids are roles within one recording, so identities are labelled
``S<session>_P<id>``: each recording is its own clustering problem.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .importer import (GroundTruthImporter, ImportOption, PlannedVideo, dataset_type,
                       import_ground_truth, register_importer)
from .tracks import GroundTruthTrack

SPLITS = {"train": (1, 2, 3, 5, 6, 7, 8, 9), "val": (4, 12), "test": (10, 11)}
_SESSION = re.compile(r"Session_(\d+)$")


def split_of(session: int) -> str | None:
    return next((name for name, s in SPLITS.items() if session in s), None)


def load_easycom_boxes(path: str | Path, session: int, frame_size: tuple[int, int],
                       max_gap: int = 5) -> list[GroundTruthTrack]:
    """Ground-truth tracks of one segment's ``Face_Bounding_Boxes`` JSON."""
    try:
        frames = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(frames, list):
        raise ValueError(f"{path}: expected a list of frame objects")
    per_person: dict[int, list[tuple[int, list[float]]]] = {}
    for fr in frames:
        try:
            n = int(fr["Frame_Number"])
            for p in fr.get("Participants") or []:
                box = [float(p["x1"]), float(p["y1"]), float(p["x2"]) - float(p["x1"]),
                       float(p["y2"]) - float(p["y1"])]
                per_person.setdefault(int(p["Participant_ID"]), []).append((n, box))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}: frame object {fr!r:.80} lacks Frame_Number or a "
                             f"participant's Participant_ID/x1/y1/x2/y2 ({e})") from e
    tracks, next_id = [], 0
    for pid in sorted(per_person):
        rows = sorted(per_person[pid])
        fnums = np.array([r[0] for r in rows])
        breaks = np.flatnonzero(np.diff(fnums) > max_gap + 1) + 1
        for part in np.split(np.arange(len(rows)), breaks):
            tracks.append(GroundTruthTrack(next_id, f"S{session:02d}_P{pid}", fnums[part],
                                           np.array([rows[i][1] for i in part]), frame_size))
            next_id += 1
    return tracks


@register_importer
class EasyComImporter(GroundTruthImporter):
    """EasyCom segments with their face boxes: every ``Main/Video_Compressed`` segment of the
    chosen sessions / splits that has a ``Face_Bounding_Boxes`` JSON becomes a sample with
    ``session`` and ``segment`` fields and its split as a tag; segments without boxes are
    skipped and reported (``missing_boxes``).

    Args:
        dataset_dir (str): The EasyCom folder holding ``Main/``.
        sessions (list[int], optional): Recording numbers to import. Defaults to all.
        splits (list[str], optional): Of ``"train"``, ``"val"``, ``"test"`` (the recommended
            split by recording). Defaults to all.
        max_gap (int): Missing frames tolerated inside one ground-truth track. Defaults to 5.
        **kwargs: :class:`~fiftyone_plugin.datasets.importer.GroundTruthImporter`'s.
    """

    NAME = "easycom"
    DATASET_DIR = "the EasyCom folder that holds Main/"
    OPTIONS = (
        ImportOption("sessions", list, "recording numbers (default: all)", item=int),
        ImportOption("splits", list, f"of {', '.join(SPLITS)} (default: all)"),
        ImportOption("max_gap", int, "missing frames tolerated inside one track (default 5)"),
    )

    def __init__(self, dataset_dir: str, sessions: list[int] | None = None,
                 splits: list[str] | None = None, max_gap: int = 5, **kwargs) -> None:
        super().__init__(dataset_dir, **kwargs)
        unknown = set(splits or ()) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; choose from {list(SPLITS)}")
        self.sessions, self.splits = sessions, splits
        self.max_gap = 5 if max_gap is None else int(max_gap)

    def plan(self):
        from ..video import probe

        root = Path(self.dataset_dir)
        video_root = root / "Main" / "Video_Compressed"
        box_root = root / "Main" / "Face_Bounding_Boxes"
        if not video_root.is_dir():
            raise ValueError(f"{video_root} does not exist: pass the folder that holds Main/")
        planned, missing = [], []
        session_dirs = sorted((d for d in video_root.iterdir() if _SESSION.match(d.name)),
                              key=lambda d: int(_SESSION.match(d.name).group(1)))
        for d in session_dirs:
            session = int(_SESSION.match(d.name).group(1))
            split = split_of(session)
            if (self.sessions and session not in self.sessions) or (
                    self.splits and split not in self.splits):
                continue
            for video in sorted(d.glob("*.mp4")):
                boxes = box_root / d.name / f"{video.stem}.json"
                if not boxes.exists():
                    missing.append(str(video))
                    continue
                info = probe(str(video))
                planned.append(PlannedVideo(
                    video, load_easycom_boxes(boxes, session, (info.width, info.height),
                                              self.max_gap),
                    dict(session=session, segment=video.stem), [split] if split else []))
        if not planned:
            raise ValueError(f"no EasyCom segment with face boxes found under {root} for "
                             f"sessions={self.sessions} splits={self.splits}")
        return planned, dict(missing_boxes=missing)


EasyComDataset = dataset_type(EasyComImporter)


def import_easycom(dataset, root: str | Path, sessions: list[int] | None = None,
                   splits: list[str] | None = None, gt_field: str = "gt_faces",
                   max_gap: int = 5, progress=None) -> dict:
    """Add the segments of :class:`EasyComImporter` to a video dataset.

    Returns:
        dict: ``segments``, ``tracks``, ``faces`` and ``missing_boxes`` (videos without JSON).
    """
    summary = import_ground_truth(dataset, EasyComImporter.NAME, str(root), gt_field,
                                  progress, sessions=sessions, splits=splits, max_gap=max_gap)
    return dict(segments=summary.pop("videos"), **summary)
