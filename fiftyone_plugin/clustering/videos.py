"""Cluster the face tracks of videos (FaceTables): which tracks take part, cannot-links
between tracks sharing a frame, one clustering problem per video or per collection, and
unknown tracks attached afterwards. No FiftyOne here."""
from __future__ import annotations

import numpy as np

from ..tracking.tracks import FaceTable, QualityRules, cooccurring_pairs
from . import DEFAULT_METHOD, ClusteringMethod, make_method
from .attach import attach_unknown
from .constraints import TrackConstraints


SCOPES = ("video", "collection")


def check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")


def _embedded_rows(table: FaceTable, usable: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Per usable track, its usable faces that have embeddings (``embed_stride`` leaves
    the others NaN), else any of its embedded faces (rules stricter than the sampler's);
    tracks with none are left out (``unknown``)."""
    has = np.isfinite(table.embeddings[:, 0])
    out = {}
    for t, rows in usable.items():
        rows = rows[has[rows]]
        if not len(rows):
            rows = np.flatnonzero(has & (table.tracks == t))
        if len(rows):
            out[t] = rows
    return out


def cluster_tracks(videos: dict[str, FaceTable], rules: QualityRules,
                   method: str | ClusteringMethod = DEFAULT_METHOD, scope: str = "video",
                   attach_unknown: bool = True, constraints: TrackConstraints | None = None,
                   **method_kwargs) -> dict[str, dict[int, int]]:
    """Group usable tracks into identities (cannot-link between tracks sharing a frame).

    Args:
        videos (dict[str, FaceTable]): Per sample id, its faces with tracks and embeddings.
        rules (QualityRules): Which faces and tracks are usable.
        method (str | ClusteringMethod): A registered method name or a built method
            (:func:`fiftyone_plugin.clustering.make_method`).
        scope (str): ``"video"`` (default): each video is its own clustering problem, with
            its own impostor bound, so a video's identities never change when other videos
            join the collection (the same person in two videos gets two identities);
            ``"collection"``: all videos are one problem (one bound; identities span videos).
        attach_unknown (bool): After clustering, join each unusable track that has an
            embedded face to the identity confidently close to it
            (:func:`~.clustering.attach.attach_unknown`). Defaults to True.
        constraints (TrackConstraints, optional): Users' corrections: must-linked tracks
            are clustered as one (a track the rules reject joins its partner's identity),
            cannot-linked tracks never share an identity, excluded tracks get none.
        **method_kwargs: The named method's parameters (``n_clusters``, ``threshold``, ...).

    Returns:
        dict: ``{sample_id: {track id: identity number}}``, identity numbers unique over the
        collection (per scope, by the number of faces they hold, largest first); tracks left
        out are absent (``unknown``).
    """
    check_scope(scope)
    if isinstance(method, str):
        method = make_method(method, **method_kwargs)
    groups = [[sid] for sid in videos] if scope == "video" else [list(videos)]
    out: dict[str, dict[int, int]] = {sid: {} for sid in videos}
    first = 0
    for sids in groups:
        assignment = _cluster_scope({sid: videos[sid] for sid in sids}, rules, method,
                                    attach_unknown, constraints or TrackConstraints())
        for sid, tracks in assignment.items():
            out[sid] = {t: first + c for t, c in tracks.items()}
        first += len({c for a in assignment.values() for c in a.values()})
    return out


def _cluster_scope(videos: dict[str, FaceTable], rules: QualityRules,
                   method: ClusteringMethod, attach: bool,
                   constraints: TrackConstraints) -> dict[str, dict[int, int]]:
    """One clustering problem: identities numbered 0.. by faces held, largest first."""
    keys, faces, sizes, cannot = [], [], [], []
    lost, lost_faces, lost_sizes, lost_cannot = [], [], [], []
    for sid, table in videos.items():
        usable = rules.usable_tracks(table)
        embedded = _embedded_rows(table, usable)
        tids = sorted(t for t in embedded if (sid, t) not in constraints.excluded)
        pos = {t: len(keys) + i for i, t in enumerate(tids)}
        keys += [(sid, t) for t in tids]
        faces += [table.embeddings[embedded[t]] for t in tids]
        sizes += [len(usable[t]) for t in tids]
        has = np.isfinite(table.embeddings[:, 0])
        others = sorted(set(table.tracks[table.tracks >= 0].tolist()) - set(embedded)
                        - {t for s, t in constraints.excluded if s == sid})
        upos = {t: len(lost) + i for i, t in enumerate(others)}
        lost += [(sid, t) for t in others]
        lost_faces += [table.embeddings[has & (table.tracks == t)] for t in others]
        lost_sizes += [int((table.tracks == t).sum()) for t in others]
        for a, b in cooccurring_pairs(table.frames, table.tracks):
            if a in pos and b in pos:
                cannot.append((pos[a], pos[b]))
            for u, t in ((a, b), (b, a)):
                if u in upos and t in pos:
                    lost_cannot.append((upos[u], pos[t]))
    out: dict[str, dict[int, int]] = {sid: {} for sid in videos}
    if not keys:
        return out
    labels, forced = _cluster_with(method, keys, faces, cannot, lost, constraints)
    if (attach or forced) and lost:
        joined = (attach_unknown(faces, labels, lost_faces, lost_cannot,
                                 fallback=getattr(method, "fallback", None))
                  if attach else np.full(len(lost), -1))
        for i, label in forced.items():  # a user put it there
            joined[i] = label
        keep = joined >= 0
        keys += [k for k, j in zip(lost, keep) if j]
        sizes += [n for n, j in zip(lost_sizes, keep) if j]
        labels = np.concatenate([labels, joined[keep]])
    weight = np.bincount(labels, weights=sizes)
    rank = {c: r for r, c in enumerate(sorted(range(len(weight)), key=lambda c: (-weight[c], c)))}
    for (sid, t), c in zip(keys, labels):
        out[sid][t] = rank[int(c)]
    return out


def _cluster_with(method: ClusteringMethod, keys: list, faces: list, cannot: list,
                  lost: list, constraints: TrackConstraints
                  ) -> tuple[np.ndarray, dict[int, int]]:
    """Labels of the clustered tracks, must-linked tracks clustered as one unit and
    cannot-linked ones kept apart; and the labels must-links force on tracks the rules
    left out (``{index in lost: label}``)."""
    if not constraints:
        return method(faces, cannot_link=cannot), {}
    groups = constraints.groups(keys + lost)
    unit_of = {}  # group -> unit number, over the clustered tracks in order
    units = [unit_of.setdefault(g, len(unit_of)) for g in groups[:len(keys)]]
    unit_faces = [np.concatenate([f for f, u in zip(faces, units) if u == k])
                  for k in range(len(unit_of))]
    pos = {k: i for i, k in enumerate(keys)}
    pairs = list(cannot) + [(pos[a], pos[b]) for a, b in constraints.cannot_link
                            if a in pos and b in pos]
    unit_cannot = sorted({tuple(sorted((units[a], units[b]))) for a, b in pairs
                          if units[a] != units[b]})
    labels = np.asarray(method(unit_faces, cannot_link=unit_cannot))[units]
    forced = {i: int(labels[units[groups.index(g)]]) for i, g in
              enumerate(groups[len(keys):]) if g in unit_of}
    return labels, forced
