"""Correct a clustering run: rename, merge, split or move a track, mark a track as no
face, undo. Each correction is appended to the run's log, applied at once to its identities
field, and honoured by every later ``cluster_faces`` under the same run key (as must-link /
cannot-link constraints and names), so corrections survive re-clustering.

Identities are named by their id (``"id_003"``) or their current name.
"""
from __future__ import annotations

from .. import fo_io
from ..clustering.corrections import NOT_A_FACE, replay

DEFAULT_RUN_KEY = fo_io.DEFAULT_RUN_KEY


def clustering_runs(dataset) -> list[str]:
    """The keys of the dataset's clustering runs."""
    if dataset is None:
        return []
    return [k for k in dataset.list_runs()
            if getattr(dataset.get_run_info(k).config, "kind", "") == "cluster"]


def clustering_run(samples, run_key: str):
    """``(config, results)`` of the clustering run ``run_key``, or an error saying what to run."""
    dataset = samples._dataset
    if run_key not in dataset.list_runs():
        raise ValueError(f"no clustering run {run_key!r}: run cluster_faces or "
                         "find_identities first")
    info = dataset.get_run_info(run_key)
    if getattr(info.config, "kind", "") != "cluster":
        raise ValueError(f"run {run_key!r} is not a clustering run")
    return info.config, dataset.load_run_results(run_key, cache=False)


def run_log(samples, run_key: str) -> list[dict]:
    """The corrections log of the clustering run ``run_key`` ([] when there is none)."""
    try:
        _, results = clustering_run(samples, run_key)
    except ValueError:
        return []
    return _log(results)


def _log(results) -> list[dict]:
    return list(getattr(results, "corrections", None) or [])


def _state(results, log: list[dict] | None = None):
    """``(base, log, labels, names)``: the clustering's own assignment, the log (the run's,
    or ``log``) and the labels and names it gives."""
    base = {(sid, int(t)): i for sid, a in results.assignments.items() for t, i in a.items()}
    log = _log(results) if log is None else log
    labels, names = replay(base, log)
    return base, log, labels, names


def _resolve(labels: dict, names: dict[str, str], identity: str) -> str:
    if identity in set(labels.values()) and identity != NOT_A_FACE:
        return identity
    by_name = [i for i, n in names.items() if n == identity]
    if by_name:
        return by_name[0]
    raise ValueError(f"no identity {identity!r} in this run: `vfc identities list` (or "
                     "list_identities) shows them")


def _tracks_of(labels: dict, identity: str) -> list[list]:
    return [[sid, t] for (sid, t), i in sorted(labels.items()) if i == identity]


def rename_identity(sample_collection, identity: str, name: str,
                    run_key: str = DEFAULT_RUN_KEY) -> dict:
    """Call ``identity`` ``name``: its label becomes the name (the id stays as the
    ``identity`` attribute)."""
    if not name or not name.strip() or name in (fo_io.UNKNOWN, NOT_A_FACE):
        raise ValueError(f"{name!r} cannot name an identity")
    config, results = clustering_run(sample_collection, run_key)
    _, _, labels, names = _state(results)
    identity = _resolve(labels, names, identity)
    return _append(sample_collection, run_key, config, results, dict(
        op="rename", tracks=_tracks_of(labels, identity), name=name.strip()))


def merge_identities(sample_collection, identities: list[str],
                     run_key: str = DEFAULT_RUN_KEY) -> dict:
    """Make ``identities`` one: the first one's id, and the first name among them. Refused
    when two of their tracks share a frame: they cannot be one person."""
    config, results = clustering_run(sample_collection, run_key)
    _, _, labels, names = _state(results)
    ids = list(dict.fromkeys(_resolve(labels, names, i) for i in identities))
    if len(ids) < 2:
        raise ValueError("merge needs two identities or more")
    tracks = [t for i in ids for t in _tracks_of(labels, i)]
    _refuse_cooccurring(sample_collection, config, tracks)
    return _append(sample_collection, run_key, config, results,
                   dict(op="merge", tracks=tracks))


def move_track(sample_collection, sample_id: str, track: int, to: str | None = None,
               run_key: str = DEFAULT_RUN_KEY) -> dict:
    """Move one track to identity ``to``, or with ``to=None`` split it off into a new
    identity of its own; either way it is no longer its former identity's person."""
    config, results = clustering_run(sample_collection, run_key)
    _, _, labels, names = _state(results)
    key = (sample_id, int(track))
    if key not in labels:
        raise ValueError(f"track {track} of sample {sample_id} is not in run {run_key!r} "
                         "(unknown tracks have no identity to leave)")
    former = [t for t in _tracks_of(labels, labels[key]) if tuple(t) != key]
    with_ = [] if to is None else _tracks_of(labels, _resolve(labels, names, to))
    _refuse_cooccurring(sample_collection, config, with_ + [[sample_id, int(track)]])
    return _append(sample_collection, run_key, config, results, {
        "op": "move", "track": [sample_id, int(track)], "with": with_, "from": former})


def mark_not_face(sample_collection, sample_id: str, track: int,
                  run_key: str = DEFAULT_RUN_KEY) -> dict:
    """The track is no face: labelled ``not_a_face`` and left out of every identity."""
    config, results = clustering_run(sample_collection, run_key)
    return _append(sample_collection, run_key, config, results,
                   dict(op="not_face", track=[sample_id, int(track)]))


def undo_correction(sample_collection, run_key: str = DEFAULT_RUN_KEY) -> dict | None:
    """Take back the last correction; returns it (None when there was none). Labels change
    at once; a track the last clustering left out because of it ("no face") stays
    ``unknown`` until the next ``cluster_faces`` clusters it again."""
    config, results = clustering_run(sample_collection, run_key)
    log = _log(results)
    if not log:
        return None
    last = log.pop()
    _commit(sample_collection, run_key, config, results, log)
    return last


def _append(samples, run_key: str, config, results, entry: dict) -> dict:
    _commit(samples, run_key, config, results, _log(results) + [entry])
    return entry


def _commit(samples, run_key: str, config, results, log: list[dict]) -> None:
    """Save the new log on the run, then write the labels it gives."""
    _save(samples, run_key, results, log)
    write_corrected_labels(samples, config.out_field, run_key, results=results, log=log)


def _save(samples, run_key: str, results, log: list[dict]) -> None:
    data = {k: v for k, v in results.serialize().items() if k != "cls" and k != "corrections"}
    dataset = samples._dataset
    dataset.save_run_results(run_key, dataset.init_run_results(run_key, **data,
                                                                corrections=log),
                             overwrite=True)


def _refuse_cooccurring(samples, config, tracks: list[list]) -> None:
    name = fo_io.frame_field(config.out_field)
    wanted = {(str(s), int(t)) for s, t in tracks}
    sids = sorted({s for s, _ in wanted})
    view = samples._dataset.select(sids, ordered=True)
    for sid, vid in zip(sids, view.values(f"frames.{name}.detections.index")):
        for fr in vid:
            here = [t for t in (fr or []) if (sid, t) in wanted]
            if len(set(here)) > 1:
                raise ValueError(f"tracks {sorted(set(here))} of sample {sid} appear in the "
                                 "same frame: they cannot be one person")


def write_corrected_labels(samples, field: str, run_key: str, views: bool = True,
                           results=None, log: list[dict] | None = None) -> None:
    """Write the run's corrected labels to ``field``: each face of a clustered track gets
    its identity's name (or id) as label and the id as its ``identity`` attribute.
    ``results`` and ``log``: the run's, when the caller has them at hand."""
    if results is None:
        _, results = clustering_run(samples, run_key)
    _, _, labels, names = _state(results, log)
    name = fo_io.frame_field(field)
    sids = list(results.assignments)
    view = samples._dataset.select(sids, ordered=True)
    index = view.values(f"frames.{name}.detections.index")

    def label(sid, t):
        identity = labels.get((sid, t)) if t is not None else None
        return (fo_io.UNKNOWN, None) if identity is None else (
            names.get(identity, identity), identity)

    pairs = [[None if fr is None else [label(sid, t) for t in fr] for fr in vid]
             for sid, vid in zip(sids, index)]
    for k, attr in enumerate(("label", "identity")):
        view.set_values(f"frames.{name}.detections.{attr}",
                        [[None if fr is None else [p[k] for p in fr] for fr in vid]
                         for vid in pairs], dynamic=attr == "identity")
    shown = {names.get(i, i): None if i == NOT_A_FACE else i for i in labels.values()}
    config = samples._dataset.get_run_info(run_key).config
    fo_io.show_identities(samples, field, shown, getattr(config, "in_field", None))
    if views:
        fo_io.save_identity_views(samples._dataset, field, run_key,
                                  sorted(n for n, i in shown.items() if i is not None))


def review_questions(sample_collection, run_key: str = DEFAULT_RUN_KEY,
                     k: int = 10) -> list[dict]:
    """The ``k`` questions most worth a user's answer: pairs of identities the clustering
    was least sure to keep apart (:func:`~fiftyone_plugin.clustering.review.uncertain_pairs`;
    within a video when the run clustered per video), with a track of each to show. Pairs
    already answered are not asked again."""
    import numpy as np

    from ..clustering.review import uncertain_pairs
    from ..tracking.tracks import cooccurring_pairs
    from ._common import face_store_root, read_face_tables
    from .identities import with_stored_embeddings

    config, results = clustering_run(sample_collection, run_key)
    _, log, labels, names = _state(results)
    view = sample_collection._dataset.select(list(results.assignments), ordered=True)
    _, _, _, faces = read_face_tables(view, config.in_field)
    with_stored_embeddings(faces, face_store_root(view),
                           getattr(config, "embeddings", "original"))
    answered = {frozenset(map(tuple, (e["tracks"][0], e["others"][0]))) for e in log
                if e["op"] == "apart"}
    scopes = ([[sid] for sid in faces] if getattr(config, "scope", "video") == "video"
              else [list(faces)])
    questions = []
    for sids in scopes:
        tracks, vectors, cannot = [], [], []
        for sid in sids:
            table = faces[sid][0]
            has = np.isfinite(table.embeddings[:, 0])
            pos = {}
            for t in sorted(set(table.tracks[table.tracks >= 0].tolist())):
                rows = has & (table.tracks == t)
                identity = labels.get((sid, t))
                if rows.any() and identity not in (None, NOT_A_FACE):
                    pos[t] = len(tracks)
                    tracks.append((sid, t))
                    vectors.append(table.embeddings[rows])
            cannot += [(pos[a], pos[b]) for a, b in cooccurring_pairs(table.frames,
                                                                       table.tracks)
                       if a in pos and b in pos]
        ids = sorted({labels[t] for t in tracks})
        number = {i: n for n, i in enumerate(ids)}
        per_track = np.array([number[labels[t]] for t in tracks])
        for a, b, d in uncertain_pairs(vectors, per_track, cannot, k=len(ids) ** 2):
            ia, ib = ids[a], ids[b]
            ta = [t for t in tracks if labels[t] == ia]
            tb = [t for t in tracks if labels[t] == ib]
            if any(frozenset((x, y)) in answered for x in ta for y in tb):
                continue
            questions.append(dict(a=ia, b=ib, a_name=names.get(ia), b_name=names.get(ib),
                                  distance=round(d, 4), a_track=list(ta[0]),
                                  b_track=list(tb[0])))
    return sorted(questions, key=lambda q: q["distance"])[:k]


def answer_question(sample_collection, a: str, b: str, same: bool,
                    run_key: str = DEFAULT_RUN_KEY, recluster: bool = True) -> dict:
    """Record a review answer: ``same`` merges the identities, otherwise they are kept
    apart for good; then (``recluster``) the run clusters again, honouring every answer
    and correction. Returns the new clustering's summary (or the entry)."""
    if same:
        entry = merge_identities(sample_collection, [a, b], run_key)
    else:
        config, results = clustering_run(sample_collection, run_key)
        _, _, labels, names = _state(results)
        ia, ib = _resolve(labels, names, a), _resolve(labels, names, b)
        entry = _append(sample_collection, run_key, config, results, dict(
            op="apart", tracks=_tracks_of(labels, ia), others=_tracks_of(labels, ib)))
    if not recluster:
        return entry
    from .identities import recluster as run_again

    return run_again(sample_collection, run_key)
