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

from .tracks import GroundTruthTrack, tracks_to_frames

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


def import_easycom(dataset, root: str | Path, sessions: list[int] | None = None,
                   splits: list[str] | None = None, gt_field: str = "gt_faces",
                   max_gap: int = 5, progress=None) -> dict:
    """Add EasyCom segments with their face boxes to a video dataset.

    Args:
        dataset (fo.Dataset): Video dataset to add to.
        root (str | Path): The EasyCom folder holding ``Main/``.
        sessions (list[int], optional): Recording numbers to import. Defaults to all.
        splits (list[str], optional): Of ``"train"``, ``"val"``, ``"test"`` (the
            recommended split by recording). Defaults to all.
        gt_field (str): Frame field for the boxes. Defaults to ``"gt_faces"``.
        max_gap (int): Missing frames tolerated inside one ground-truth track. Defaults to 5.
        progress (callable, optional): ``progress(fraction, label)``.

    Returns:
        dict: ``segments``, ``tracks``, ``faces`` and ``missing_boxes`` (videos without JSON).

    Every sample gets ``session`` and ``segment`` fields and its split as a tag.
    """
    import fiftyone as fo

    from .. import fo_io
    from ..video import probe

    video_root = Path(root) / "Main" / "Video_Compressed"
    box_root = Path(root) / "Main" / "Face_Bounding_Boxes"
    if not video_root.is_dir():
        raise ValueError(f"{video_root} does not exist: pass the folder that holds Main/")
    unknown = set(splits or ()) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split(s) {sorted(unknown)}; choose from {list(SPLITS)}")
    plan, missing = [], []
    session_dirs = sorted((d for d in video_root.iterdir() if _SESSION.match(d.name)),
                          key=lambda d: int(_SESSION.match(d.name).group(1)))
    for d in session_dirs:
        session = int(_SESSION.match(d.name).group(1))
        if (sessions and session not in sessions) or (splits and split_of(session)
                                                      not in splits):
            continue
        for video in sorted(d.glob("*.mp4")):
            boxes = box_root / d.name / f"{video.stem}.json"
            if not boxes.exists():
                missing.append(str(video))
                continue
            info = probe(str(video))
            plan.append((video, session, load_easycom_boxes(
                boxes, session, (info.width, info.height), max_gap)))
    if not plan:
        raise ValueError(f"no EasyCom segment with face boxes found under {root} for "
                         f"sessions={sessions} splits={splits}")
    samples = []
    for video, session, _ in plan:
        split = split_of(session)
        samples.append(fo.Sample(filepath=str(video.resolve()), session=session,
                                 segment=video.stem, tags=[split] if split else []))
    ids = dataset.add_samples(samples)
    fo_io.write_frame_labels(dataset.select(ids), gt_field,
                             {sid: tracks_to_frames(t) for sid, (_, _, t) in zip(ids, plan)})
    if progress is not None:
        progress(1.0, f"imported {len(plan)} segments")
    return dict(segments=len(plan), missing_boxes=missing,
                tracks=sum(len(t) for _, _, t in plan),
                faces=sum(len(x.frames) for _, _, t in plan for x in t))
