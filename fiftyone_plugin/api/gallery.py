"""What there is to see of each identity of a clustering run: its tracks, faces, screen
time and videos, its sharpest face (a crop from the face store), and a clips view of the
frames where it appears. The Identities panel and ``vfc identities list`` show these."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fo_io
from ..clustering.corrections import NOT_A_FACE
from ..embedding.store import FaceStore
from ._common import face_store_root, require_own_store
from .corrections import DEFAULT_RUN_KEY, _resolve, _state, clustering_run


@dataclass
class TrackFacts:
    """One track as the face store holds it."""
    sample_id: str
    track: int
    first: int  # frame numbers, 1-based
    last: int
    faces: int
    best_row: int  # the store row of its sharpest face
    sharpness: float


def track_facts(samples, sample_ids: list[str]) -> dict[tuple[str, int], TrackFacts]:
    """Every track of these videos, read from the face store (no frame documents)."""
    root = face_store_root(samples)
    require_own_store(samples, root)
    facts = {}
    for sid in sample_ids:
        table = FaceStore(root, sid).table()
        for t in np.unique(table.tracks[table.tracks >= 0]).tolist():
            rows = np.flatnonzero(table.tracks == t)
            best = rows[int(np.argmax(table.sharpness[rows]))]
            facts[(sid, t)] = TrackFacts(sid, t, int(table.frames[rows].min()),
                                         int(table.frames[rows].max()), len(rows), int(best),
                                         float(table.sharpness[best]))
    return facts


def _frame_rates(samples, sample_ids: list[str]) -> dict[str, float]:
    from ..video import probe

    view = samples._dataset.select(sample_ids, ordered=True)
    rates = view.values("metadata.frame_rate")
    paths = view.values("filepath")
    return {sid: float(r) if r else probe(p).fps for sid, r, p in zip(sample_ids, rates, paths)}


def joined_spans(spans: list[tuple[int, int]], gap: int = 0) -> list[tuple[int, int]]:
    """``[first, last]`` frame spans, those overlapping or less than ``gap`` frames apart
    joined, in order."""
    out: list[list[int]] = []
    for first, last in sorted(spans):
        if out and first <= out[-1][1] + gap:
            out[-1][1] = max(out[-1][1], last)
        else:
            out.append([first, last])
    return [tuple(s) for s in out]


def _seconds(spans: dict[str, list[tuple[int, int]]], fps: dict[str, float]) -> float:
    """Screen time: the union of the tracks' [first, last] frames, per video."""
    return sum((last - first + 1) / fps[sid] for sid, s in spans.items()
               for first, last in joined_spans(s))


def list_identities(sample_collection, run_key: str = DEFAULT_RUN_KEY) -> list[dict]:
    """Every identity of the run, most faces first, then the tracks marked as no face:
    ``id``, ``name`` (None if unnamed), ``tracks``, ``faces``, ``seconds`` on screen,
    ``videos`` and ``best`` (``[sample_id, store row]`` of its sharpest face)."""
    _, results = clustering_run(sample_collection, run_key)
    _, _, labels, names = _state(results)
    sids = list(results.assignments)
    facts = track_facts(sample_collection, sids)
    fps = _frame_rates(sample_collection, sids)
    members: dict[str, list[TrackFacts]] = {}
    for key, identity in labels.items():
        if key in facts:
            members.setdefault(identity, []).append(facts[key])
    rows = []
    for identity, tracks in members.items():
        spans: dict[str, list[tuple[int, int]]] = {}
        for f in tracks:
            spans.setdefault(f.sample_id, []).append((f.first, f.last))
        best = max(tracks, key=lambda f: f.sharpness)
        rows.append(dict(id=identity, name=names.get(identity), tracks=len(tracks),
                         faces=sum(f.faces for f in tracks),
                         seconds=round(_seconds(spans, fps), 2), videos=len(spans),
                         best=[best.sample_id, best.best_row]))
    return sorted(rows, key=lambda r: (r["id"] == NOT_A_FACE, -r["faces"], r["id"]))


def identity_tracks(sample_collection, identity: str,
                    run_key: str = DEFAULT_RUN_KEY) -> list[dict]:
    """The tracks of one identity (id or name), longest first: ``sample_id``, ``track``,
    ``first`` and ``last`` frame, ``faces``, ``best`` store row."""
    _, results = clustering_run(sample_collection, run_key)
    _, _, labels, names = _state(results)
    identity = _resolve(labels, names, identity) if identity != NOT_A_FACE else identity
    keys = [k for k, i in labels.items() if i == identity]
    facts = track_facts(sample_collection, sorted({s for s, _ in keys}))
    rows = [dict(sample_id=s, track=t, first=facts[(s, t)].first, last=facts[(s, t)].last,
                 faces=facts[(s, t)].faces, best=facts[(s, t)].best_row)
            for s, t in keys if (s, t) in facts]
    return sorted(rows, key=lambda r: (-r["faces"], r["sample_id"], r["track"]))


def face_crops(sample_collection, faces: list[tuple[str, int]]) -> list[np.ndarray]:
    """The aligned RGB crops of stored faces, given as ``(sample id, store row)``; each
    video's store is opened once."""
    root = face_store_root(sample_collection)
    crops: dict[str, np.ndarray] = {}
    out = []
    for sid, row in faces:
        if sid not in crops:
            crops[sid] = FaceStore(root, sid).crops()
        out.append(np.array(crops[sid][row]))
    return out


def identity_clips(sample_collection, identity: str, run_key: str = DEFAULT_RUN_KEY,
                   gap: int | None = None):
    """A clips view of the frames where ``identity`` (id or name) appears, with only its
    boxes: one clip per span of its tracks, spans closer than ``gap`` frames joined (None:
    one second)."""
    from fiftyone import ViewField as F

    config, results = clustering_run(sample_collection, run_key)
    _, _, labels, names = _state(results)
    identity = _resolve(labels, names, identity)
    tracks = identity_tracks(sample_collection, identity, run_key)
    sids = sorted({tr["sample_id"] for tr in tracks})
    fps = _frame_rates(sample_collection, sids)
    spans = [joined_spans([(tr["first"], tr["last"]) for tr in tracks if tr["sample_id"] == sid],
                          gap if gap is not None else max(1, int(round(fps[sid]))))
             for sid in sids]
    field = f"frames.{fo_io.frame_field(config.out_field)}"
    shown = names.get(identity, identity)
    clips = sample_collection._dataset.select(sids, ordered=True).to_clips(spans)
    # filtered after: a clips view is made from its videos' whole frames
    return clips.filter_labels(field, F("label") == shown, only_matches=False).select_fields(
        field)
