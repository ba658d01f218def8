"""Clustering scope and unknown tracks, on hand-made face tables (no database)."""
import numpy as np
import pytest

pytest.importorskip("fiftyone")

from fiftyone_plugin.clustering.videos import cluster_tracks  # noqa: E402
from fiftyone_plugin.tracking.tracks import FaceTable, QualityRules  # noqa: E402


def _table(people, tracks_per_person=6, faces=4, seed=0, tiny_track_of=None):
    """One video: ``tracks_per_person`` tracks of each person (a prototype vector), one
    track after the other; optionally a track of tiny faces (left out by the rules)."""
    rng = np.random.default_rng(seed)
    rows, track, frame = [], 0, 1
    plan = [(p, 50.0) for p in people for _ in range(tracks_per_person)]
    if tiny_track_of is not None:
        plan.append((tiny_track_of, 8.0))
    for proto, size in plan:
        for _ in range(faces):
            e = proto + rng.normal(scale=0.05, size=proto.shape)
            rows.append((frame, track, size, e / np.linalg.norm(e)))
            frame += 1
        track += 1
    frames, tracks, sizes, emb = (np.array(c) for c in zip(*rows))
    boxes = np.stack([np.zeros_like(sizes), np.zeros_like(sizes), sizes, sizes], 1)
    return FaceTable(frames, boxes.astype(np.float32), np.full(len(frames), 0.9, np.float32),
                     tracks=tracks, sharpness=np.full(len(frames), 50.0, np.float32),
                     embeddings=emb.astype(np.float32))


def _people(n, seed):
    p = np.random.default_rng(seed).normal(size=(n, 64))
    return list(p / np.linalg.norm(p, axis=1, keepdims=True))


def _partition(assignment):
    by = {}
    for t, c in assignment.items():
        by.setdefault(c, set()).add(t)
    return sorted(map(sorted, by.values()))


def test_a_videos_identities_do_not_change_when_other_videos_join():
    cast = _people(3, seed=1)
    a = _table(cast, seed=2)
    others = {f"v{i}": _table(_people(4, seed=10 + i), seed=20 + i) for i in range(3)}
    alone = cluster_tracks({"a": a}, QualityRules())
    together = cluster_tracks({"a": a, **others}, QualityRules())
    assert len(set(alone["a"].values())) == 3
    assert _partition(together["a"]) == _partition(alone["a"])
    # identity numbers are unique over the collection: no two videos share one
    used = [set(v.values()) for v in together.values()]
    assert sum(map(len, used)) == len(set().union(*used)) == 3 + 3 * 4


def test_collection_scope_follows_a_person_across_videos():
    cast = _people(3, seed=1)
    videos = {"a": _table(cast, seed=2), "b": _table(cast[:2], seed=3)}
    per_video = cluster_tracks(videos, QualityRules())
    together = cluster_tracks(videos, QualityRules(), scope="collection")
    assert len(set(per_video["a"].values()) | set(per_video["b"].values())) == 5
    assert set(together["b"].values()) < set(together["a"].values())
    with pytest.raises(ValueError, match="scope"):
        cluster_tracks(videos, QualityRules(), scope="season")


def test_unknown_track_is_attached_when_close_and_kept_unknown_when_not():
    cast = _people(3, seed=1)
    # a stranger unrelated to every cast member (cosine 0: distance 1, where the 3 people's
    # own pairs lie, 0.98 to 1.19 apart; the bound fitted on them is 0.89)
    stranger = _people(1, seed=99)[0]
    basis = np.linalg.qr(np.stack(cast, 1))[0]
    stranger -= basis @ (basis.T @ stranger)
    stranger /= np.linalg.norm(stranger)
    video = _table(cast, seed=2, tiny_track_of=cast[1])
    tiny = int(video.tracks.max())
    attached = cluster_tracks({"a": video}, QualityRules())["a"]
    assert attached[tiny] == attached[6]  # track 6 is cast[1]'s first track
    assert tiny not in cluster_tracks({"a": video}, QualityRules(), attach_unknown=False)["a"]
    lone = _table(cast, seed=2, tiny_track_of=stranger)
    assert tiny not in cluster_tracks({"a": lone}, QualityRules())["a"]
