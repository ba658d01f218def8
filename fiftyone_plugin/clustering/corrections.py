"""Users' corrections of a clustering: an append-only log replayed on the clustering's own
assignment, and turned into constraints for the next clustering. No FiftyOne here.

A log entry names tracks (``[sample id, track id]``), never identity numbers, so it means
the same thing after a re-clustering renumbers the identities:

- ``{"op": "rename", "tracks": [...], "name": str}``: the identity holding most of these
  tracks (those it had when it was named) is called ``name``;
- ``{"op": "merge", "tracks": [...]}``: the identities of these tracks are one (the first
  track's), named as the first of them that had a name;
- ``{"op": "move", "track": t, "with": [...]}``: the track joins the identity of the tracks
  ``with`` (empty: a new identity of its own); ``"from": [...]``, the tracks it left, are
  not its person;
- ``{"op": "not_face", "track": t}``: the track is no face;
- ``{"op": "apart", "tracks": [...], "others": [...]}``: these are two people (a review
  answer "not the same"); if they share an identity, ``others`` leave it for a new one.
"""
from __future__ import annotations

from collections import Counter
from itertools import count

from .constraints import Track, TrackConstraints

NOT_A_FACE = "not_a_face"
OPS = ("rename", "merge", "move", "not_face", "apart")


def _track(t) -> Track:
    return str(t[0]), int(t[1])


def replay(assignment: dict[Track, str], log: list[dict]
           ) -> tuple[dict[Track, str], dict[str, str]]:
    """``(identity per track, name per identity)`` after the log's corrections, in order.
    ``assignment``: the clustering's identity (``"id_000"``) per clustered track."""
    labels = dict(assignment)
    names: dict[str, str] = {}
    for entry in log:
        op = entry["op"]
        if op == "merge":
            tracks = [_track(t) for t in entry["tracks"] if _track(t) in labels]
            if tracks:
                target = labels[tracks[0]]
                merged = {labels[t] for t in tracks}
                labels = {t: target if i in merged else i for t, i in labels.items()}
                # a name survives the merge: the first identity's, else another's
                named = [names[i] for i in [target] + sorted(merged - {target}) if i in names]
                names = {i: n for i, n in names.items() if i not in merged}
                if named:
                    names[target] = named[0]
        elif op == "move":
            track = _track(entry["track"])
            with_ = [_track(t) for t in entry["with"] if _track(t) in labels]
            if with_:
                labels[track] = labels[with_[0]]
            elif any(i == labels.get(track) for t, i in labels.items() if t != track):
                labels[track] = _new_identity(labels, names)  # else: alone already
        elif op == "not_face":
            labels[_track(entry["track"])] = NOT_A_FACE
        elif op == "apart":
            ours = {labels.get(_track(t)) for t in entry["tracks"]} - {None}
            others = [_track(t) for t in entry["others"] if labels.get(_track(t)) in ours]
            new = _new_identity(labels, names) if others else None
            for t in others:
                labels[t] = new
        elif op == "rename":
            held = Counter(labels[_track(t)] for t in entry["tracks"] if _track(t) in labels)
            held.pop(NOT_A_FACE, None)
            if held:
                identity = held.most_common(1)[0][0]
                names = {i: n for i, n in names.items() if n != entry["name"]}
                names[identity] = entry["name"]
        else:
            raise ValueError(f"unknown correction {op!r}; one of {OPS}")
    return labels, names


def _new_identity(labels: dict[Track, str], names: dict[str, str]) -> str:
    used = [int(i[3:]) for i in set(labels.values()) | set(names) if i.startswith("id_")
            and i[3:].isdigit()]
    return f"id_{max(used, default=-1) + 1:03d}"


def constraints(log: list[dict]) -> TrackConstraints:
    """The constraints a re-clustering must honour so the log's corrections hold; a later
    correction wins (a track moved out of a merged identity is no longer linked to it)."""
    group: dict[Track, int] = {}  # tracks asserted to be one person share a number
    cannot: list[tuple[Track, Track]] = []
    excluded: set[Track] = set()
    fresh = count()

    def join(tracks: list[Track]) -> None:
        numbers = {group[t] for t in tracks if t in group}
        new = min(numbers) if numbers else next(fresh)
        for t, g in list(group.items()):
            if g in numbers:
                group[t] = new
        for t in tracks:
            group[t] = new

    for entry in log:
        if entry["op"] == "merge":
            join([_track(t) for t in entry["tracks"]])
        elif entry["op"] == "move":
            track = _track(entry["track"])
            group.pop(track, None)
            excluded.discard(track)
            with_ = [_track(t) for t in entry["with"]]
            if with_:
                join(with_ + [track])
            cannot += [(track, _track(t)) for t in entry.get("from", [])]
        elif entry["op"] == "not_face":
            track = _track(entry["track"])
            group.pop(track, None)
            excluded.add(track)
        elif entry["op"] == "apart":
            cannot += [(_track(a), _track(b)) for a in entry["tracks"]
                       for b in entry["others"]]
    members: dict[int, list[Track]] = {}
    for t, g in group.items():
        members.setdefault(g, []).append(t)
    must = [(ts[0], t) for ts in members.values() for t in ts[1:]]
    cannot = [(a, b) for a, b in cannot if a not in group or group[a] != group.get(b)]
    return TrackConstraints(must_link=must, cannot_link=cannot, excluded=excluded)
