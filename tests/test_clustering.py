"""Clustering methods on small hand-checkable track sets (no database)."""
import numpy as np
import pytest

from fiftyone_plugin.clustering import cluster
from fiftyone_plugin.clustering.common import (CannotLink, ConstrainedUnion,
                                               constrained_components, impostor_bound,
                                               relabel, top_k_similar)
from fiftyone_plugin.clustering.finch import choose_partition, finch, finch_hierarchy
from fiftyone_plugin.clustering.parameter_free import CosineDistance, parameter_free


def _vec(deg):
    """Unit vectors in a plane at the given angles (degrees), padded to 4-D."""
    a = np.deg2rad(np.asarray(deg, float))
    return np.stack([np.cos(a), np.sin(a), 0 * a, 0 * a], 1).astype(np.float32)


def _blobs(seed=0, people=4, tracks=5, faces=6, spread=0.15, track_spread=0.05, dim=32):
    """Tracks of ``people`` identities: a prototype per person, a per-track offset and
    per-face noise."""
    rng = np.random.default_rng(seed)
    protos = rng.normal(size=(people, dim))
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    out, labels = [], []
    for p in range(people):
        for _ in range(tracks):
            centre = protos[p] + rng.normal(scale=spread, size=dim)
            f = centre + rng.normal(scale=track_spread, size=(faces, dim))
            out.append((f / np.linalg.norm(f, axis=1, keepdims=True)).astype(np.float32))
            labels.append(p)
    return out, np.array(labels)


def test_relabel_orders_by_first_appearance():
    assert relabel(np.array([7, 7, 3, 9, 3])).tolist() == [0, 0, 1, 2, 1]


def test_top_k_similar_excludes_self_and_sorts():
    x = _vec([0, 10, 90, 100])
    idx, sim = top_k_similar(x, 2, block=3)  # block smaller than N: crosses a block edge
    assert idx[:, 0].tolist() == [1, 0, 3, 2]
    assert np.all(sim[:, 0] >= sim[:, 1])


def test_top_k_similar_scores_are_exact():
    x = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    idx, sim = top_k_similar(x, 5, block=128)
    full = x @ x.T
    np.fill_diagonal(full, -np.inf)
    np.testing.assert_allclose(sim, np.sort(full, axis=1)[:, ::-1][:, :5], rtol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(full, idx, 1), sim, rtol=1e-5)


def test_constrained_components_drop_the_weakest_forbidden_link():
    # 0-1 strong, 1-2 weak, 0 and 2 cannot be together; 3-4 a clean component; 5 alone
    a, b = np.array([1, 0, 3]), np.array([2, 1, 4])
    order = np.array([1, 0, 2])  # strongest first: (0, 1), then (1, 2), then (3, 4)
    labels = constrained_components(6, a, b, order, CannotLink([(0, 2)], 6))
    assert labels.tolist() == [0, 0, 1, 2, 2, 3]
    assert constrained_components(6, a, b, order).tolist() == [0, 0, 0, 1, 1, 2]


def test_constrained_union_refuses_cannot_linked_sets():
    u = ConstrainedUnion(4, CannotLink([(0, 3)], 4))
    assert u.union(0, 1) and u.union(2, 3)
    assert not u.union(1, 2)  # would put 0 and 3 together
    assert u.labels().tolist() == [0, 0, 1, 1]


def test_cosine_distance_is_mean_over_face_pairs():
    faces = [_vec([0, 60]), _vec([90])]
    d = CosineDistance()
    g = d.init(faces)
    # within track 0: one pair at 60 degrees -> 1 - cos 60 = 0.5; track 1 has one face
    within = d.within(g)
    assert within[0] == pytest.approx(0.5) and np.isnan(within[1])
    # between: mean of (1 - cos 90, 1 - cos 30)
    expected = np.mean([1 - np.cos(np.pi / 2), 1 - np.cos(np.pi / 6)])
    assert d.between(g, np.array([0]), np.array([1]))[0] == pytest.approx(expected)


def test_centred_cosine_distance_does_not_grow_with_a_groups_variety():
    # a group of 4 faces at 45 degrees either side of p (along two other axes) has mean
    # direction p: centred distance to a track at p is 0, while the face-pair mean is
    # 1 - cos 45 = 0.293 and would grow with the group's variety
    p, e1, e2 = np.eye(3)
    varied = np.stack([p + e1, p - e1, p + e2, p - e2]) / np.sqrt(2)
    track = p[None]
    pair, centred = CosineDistance(), CosineDistance(centred=True)
    a, b = np.array([0]), np.array([1])
    assert pair.between(pair.init([varied, track]), a, b)[0] == pytest.approx(1 - 0.5 ** 0.5)
    assert centred.between(centred.init([varied, track]), a, b)[0] == pytest.approx(0.0)
    assert pair.for_identities().centred and not pair.centred


def test_parameter_free_merges_below_either_threshold():
    # track 0 spans 40 degrees (threshold 1 - cos 40 = 0.234); track 1 is tight (threshold
    # 1 - cos 4 = 0.002); their mean pair distance is ~0.07: below track 0's threshold only
    # -> merged. Track 2 sits 90 degrees away -> stays alone.
    faces = [_vec([0, 40]), _vec([18, 22]), _vec([110, 114])]
    assert parameter_free(faces).tolist() == [0, 0, 1]


def test_parameter_free_respects_cannot_link_and_is_transitive():
    faces = [_vec([0, 40]), _vec([18, 22]), _vec([30, 70]), _vec([150, 154])]
    assert parameter_free(faces).tolist() == [0, 0, 0, 1]  # 0-1, 2 joins via thresholds
    labels = parameter_free(faces, cannot_link=[(0, 2)])
    assert labels[0] != labels[2] and labels[3] not in (labels[0], labels[2])


def test_parameter_free_candidate_search_matches_exact():
    faces, y = _blobs(seed=1, people=6, tracks=8)
    exact = parameter_free(faces)
    approx = parameter_free(faces, exact_up_to=4, candidates=8)
    assert (relabel(exact) == relabel(approx)).all()


def test_finch_first_partition_links_first_neighbours():
    # angles: two tight pairs and a far pair; first neighbours pair them up
    x = _vec([0, 5, 40, 47, 180, 190])
    h = finch_hierarchy(x)
    assert h.partitions[0].tolist() == [0, 0, 1, 1, 2, 2]
    # next level: 2.5 and 43.5 degrees are each other's first neighbours and 185's first
    # neighbour is 43.5 -> one cluster, and the recursion stops
    assert h.num_clusters == [3, 1]


def test_finch_required_k_and_bounds():
    faces = [f[None] for f in _vec([0, 5, 40, 47, 180, 190])]
    assert finch(faces, n_clusters=3).tolist() == [0, 0, 1, 1, 2, 2]
    assert finch(faces, n_clusters=2).tolist() == [0, 0, 0, 0, 1, 1]
    # more clusters than the finest partition: split from single tracks (FINCH #33)
    assert len(set(finch(faces, n_clusters=5).tolist())) == 5
    assert len(set(finch(faces, n_clusters=6).tolist())) == 6
    with pytest.raises(ValueError, match="between 1 and"):
        finch(faces, n_clusters=7)


def test_c1c_never_links_cannot_linked_tracks():
    faces = [f[None] for f in _vec([0, 5, 40, 47])]
    assert finch(faces, n_clusters=None, partition="first").tolist() == [0, 0, 1, 1]
    labels = finch(faces, cannot_link=[(0, 1)], partition="first")
    assert labels[0] != labels[1]
    assert cluster(faces, "c1c", cannot_link=[(0, 1)], n_clusters=2)[0] != \
        cluster(faces, "c1c", cannot_link=[(0, 1)], n_clusters=2)[1]


def test_choose_partition_rules():
    faces, y = _blobs(seed=2, people=5, tracks=6, spread=0.3)
    x = np.stack([f.mean(0) for f in faces])
    h = finch_hierarchy(x)
    assert choose_partition(x, h, "first") == 0
    assert choose_partition(x, h, "last") == len(h.partitions) - 1
    sqrt = choose_partition(x, h, "sqrt")
    assert h.num_clusters[sqrt] <= np.sqrt(len(x)) < h.num_clusters[sqrt - 1]
    with pytest.raises(ValueError, match="unknown partition rule"):
        choose_partition(x, h, "best")


def test_impostor_bound_is_the_gaussian_tail_at_one_expected_pair():
    from scipy.stats import norm

    # distances whose bulk is N(0.9, 0.05), plus a few small same-person distances that
    # the robust fit must ignore
    bulk = norm.ppf(np.linspace(0.0005, 0.9995, 2000), loc=0.9, scale=0.05)
    d = np.concatenate([bulk, np.full(20, 0.2)])
    bound = impostor_bound(d, num_pairs=10_000)
    assert bound == pytest.approx(0.9 - norm.isf(1e-4) * 0.05, abs=0.01)
    assert impostor_bound(d, num_pairs=10**8) < bound  # more pairs: a stricter bound
    assert impostor_bound(d[:50], num_pairs=50) is None  # too few pairs to fit


def test_parameter_free_floor_merges_what_within_track_spread_cannot():
    # 40 people x 3 single-face tracks: no within-track distances at all; the paper's rule
    # alone merges nothing, the impostor floor recovers the people
    faces, y = _blobs(seed=4, people=40, tracks=3, faces=1, spread=0.08, dim=64)
    assert len(set(parameter_free(faces, floor=None).tolist())) == len(faces)
    labels = parameter_free(faces)
    assert len(set(labels.tolist())) == 40
    assert all(len(set(y[labels == c].tolist())) == 1 for c in np.unique(labels))


def test_finch_auto_keeps_people_seen_once_alone():
    # FINCH links every track to its first neighbour, so singletons get absorbed; the
    # automatic cut at the impostor bound leaves them alone
    faces, y = _blobs(seed=5, people=30, tracks=4, spread=0.08, dim=64)
    single, _ = _blobs(seed=6, people=10, tracks=1, spread=0.0, dim=64)
    labels = finch(faces + single)
    assert len(set(labels.tolist())) == 40
    assert len(set(finch(faces + single, partition="first").tolist())) < 40


@pytest.mark.parametrize("method,kwargs", [
    ("parameter_free", {}), ("c1c", {}), ("finch", {}), ("hac_k", {"n_clusters": 4}),
    ("hac_threshold", {})])
def test_every_method_recovers_well_separated_people(method, kwargs):
    faces, y = _blobs(seed=3)
    labels = cluster(faces, method, **kwargs)
    assert len(labels) == len(y)
    # each predicted cluster is pure
    for c in np.unique(labels):
        assert len(set(y[labels == c].tolist())) == 1


def test_cluster_errors_are_clear():
    with pytest.raises(ValueError, match="unknown clustering method"):
        cluster([_vec([0])], "kmeans")
    with pytest.raises(ValueError, match="needs n_clusters"):
        cluster([_vec([0]), _vec([9])], "hac_k")
    with pytest.raises(ValueError, match="at least one face"):
        cluster([np.zeros((0, 4), np.float32)])


def _repeated(faces, k, seed=0):
    """Every track ``k`` times in a row, each copy with a little noise."""
    rng = np.random.default_rng(seed)
    out = []
    for f in faces:
        for _ in range(k):
            g = f + rng.normal(scale=0.005, size=f.shape)
            out.append((g / np.linalg.norm(g, axis=1, keepdims=True)).astype(np.float32))
    return out


@pytest.mark.parametrize("people,tracks,spread", [(3, 40, 0.12), (40, 3, 0.08)])
def test_parameter_free_answer_does_not_change_when_tracks_repeat(people, tracks, spread):
    # a few people with many tracks each (an episode) and many people with few tracks
    faces, y = _blobs(seed=11, people=people, tracks=tracks, faces=6, spread=spread, dim=64)
    once = parameter_free(faces)
    assert len(set(once.tolist())) == people
    for k in (2, 10):
        labels = parameter_free(_repeated(faces, k))
        assert len(set(labels.tolist())) == people
        originals = labels[::k]
        # the same partition of the original tracks (labels may be numbered differently)
        assert len(set(zip(once.tolist(), originals.tolist()))) == people


def test_impostor_bound_of_a_small_cast_ignores_same_person_pairs():
    # 3 people x 40 tracks: a third of all pairs show one person twice. The symmetric fit
    # of all pairs falls below every same-person distance (the old over-split: one
    # identity per track); the far-side and self-consistent bounds do not
    from fiftyone_plugin.clustering.common import far_side_bound, sample_pairs, track_means

    faces, y = _blobs(seed=11, people=3, tracks=40, faces=6, spread=0.08, dim=64)
    m = track_means(faces)
    a, b = sample_pairs(len(m))
    d = 1.0 - np.einsum("ij,ij->i", m[a], m[b])
    same = y[a] == y[b]
    assert impostor_bound(d, len(d)) < d[same].min()
    assert d[same].max() < far_side_bound(d, len(d)) < d[~same].min()


def test_attach_unknown_joins_only_confidently_close_allowed_tracks():
    from fiftyone_plugin.clustering.attach import attach_unknown

    faces, y = _blobs(seed=12, people=6, tracks=8, faces=4, spread=0.08, dim=64)
    protos, _ = _blobs(seed=12, people=6, tracks=1, faces=1, spread=0.0, track_spread=0.0,
                       dim=64)
    labels = parameter_free(faces)
    assert len(set(labels.tolist())) == 6
    stranger = np.random.default_rng(1).normal(size=(2, 64)).astype(np.float32)
    unknown = [protos[0], protos[3], stranger, np.zeros((0, 64), np.float32), protos[3]]
    of_3 = int(np.flatnonzero(y == 3)[0])
    joined = attach_unknown(faces, labels, unknown, cannot_link=[(4, of_3)])
    assert joined[0] == labels[y == 0][0] and joined[1] == labels[y == 3][0]
    # a stranger, a track without an embedded face, and one sharing a frame with person 3
    assert joined[2:].tolist() == [-1, -1, -1]


def test_attach_unknown_uses_the_nearest_track_not_the_whole_identitys_spread():
    """One person seen in 6 different looks (each track 0.8 along a look of its own, 0.6
    along the person's direction) next to 11 people with one look each. The bound fitted on
    the tracks of different people is 0.30 here. An unknown track with the first look is
    0.004 from that look's track: attached. Its mean face-pair distance to the whole varied
    identity is 1 - 0.36 - 0.64 / 6 = 0.53 (measured 0.54), which the earlier rule compared
    with the bound, leaving it unknown. A track orthogonal to everyone stays unknown."""
    from fiftyone_plugin.clustering.attach import attach_unknown

    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(32, 32)))[0]
    person, looks = basis[0], basis[1:7]
    others = rng.normal(size=(11, 10)) @ basis[7:17]
    others /= np.linalg.norm(others, axis=1, keepdims=True)

    def track(direction, n=4):
        f = direction + rng.normal(scale=0.02, size=(n, 32))
        return (f / np.linalg.norm(f, axis=1, keepdims=True)).astype(np.float32)

    faces = [track(0.6 * person + 0.8 * look) for look in looks]
    faces += [track(o) for o in others for _ in range(3)]
    labels = np.array([0] * 6 + [1 + i for i in range(11) for _ in range(3)])
    unknown = [track(0.6 * person + 0.8 * looks[0]), track(basis[20])]
    assert attach_unknown(faces, labels, unknown).tolist() == [0, -1]


def _looks_world(seed):
    """14 random person directions and a track maker: a track is its person's direction
    plus a per-track offset (photo, light) and a little per-face noise, so one person's
    tracks are 0.3-0.6 apart (median 0.43, as one person's tracks in the episode benchmark)
    and different people's about 1."""
    from fiftyone_plugin.clustering.common import unit

    rng = np.random.default_rng(seed)
    dim = 64
    protos = unit(rng.normal(size=(14, dim)))

    def track(centres):
        c = np.asarray(centres) + rng.normal(scale=0.1, size=dim)
        return unit(c + rng.normal(scale=0.03, size=(len(centres), dim))).astype(np.float32)

    return protos, track


def test_a_track_that_spans_two_looks_joins_them():
    # person 0 in look A (6 tracks), one track that turns from A to B (7 faces A, 1 face B)
    # and one track in look B only, B 0.7 from A (a profile, another photo); 12 other people,
    # 2 tracks each. By track means the B-only track is as far from person 0 as other people
    # are (0.71-1.0), so it stays alone without looks; the turning track's own two looks are
    # 0.46 apart, one person's range, and its B face is 0.38 from the B-only track's faces
    from fiftyone_plugin.clustering.common import track_means, unit
    from fiftyone_plugin.clustering.parameter_free import track_looks

    protos, track = _looks_world(2)
    look_a, away = protos[0], unit((protos[1] - (protos[1] @ protos[0]) * protos[0])[None])[0]
    look_b = 0.3 * look_a + np.sqrt(1 - 0.3 ** 2) * away
    faces = [track([look_a] * 8) for _ in range(6)]
    faces += [track([look_a] * 7 + [look_b]), track([look_b] * 8)]
    for p in protos[2:]:
        faces += [track([p] * 8), track([p] * 8)]
    truth = np.array([0] * 8 + [p for p in range(1, 13) for _ in range(2)])

    looks = track_looks(faces[6])  # its two faces furthest apart: an A face and the B face
    assert sorted(np.argmax(looks @ np.stack([look_a, look_b]).T, 1).tolist()) == [0, 1]
    assert 1 - looks[0] @ looks[1] < 0.5
    means = track_means(faces)
    assert (1 - means[:7] @ means[7]).min() > 0.7  # by track means, B-only is a stranger
    assert len(set(parameter_free(faces, looks=False).tolist())) == 14
    labels = parameter_free(faces)
    assert len(set(labels.tolist())) == 13
    assert len(set(zip(truth.tolist(), labels.tolist()))) == 13  # and no one mixed


def test_a_tracker_identity_switch_does_not_join_two_people():
    # persons 0 and 1, 6 tracks each, never on screen together (no cannot-link between them),
    # and one track the tracker switched from person 0 to person 1 (6 faces of one, then 2
    # of the other); 12 other people, 2 tracks each. The switched track's two looks are 1.02
    # apart, as far as two people's faces (one person's looks in different tracks: median
    # 0.42; two people's: 1.00; the fitted densities cross at 0.66), so by its looks it
    # joined the two main people; looks likelier two people's than one's link nothing
    protos, track = _looks_world(0)
    faces = [track([protos[0]] * 8) for _ in range(6)] + [track([protos[1]] * 8)
                                                           for _ in range(6)]
    faces.append(np.concatenate([track([protos[0]] * 8)[:6], track([protos[1]] * 8)[6:]]))
    for p in protos[2:]:
        faces += [track([p] * 8), track([p] * 8)]
    truth = np.array([0] * 6 + [1] * 6 + [0] + [p for p in range(2, 14) for _ in range(2)])

    unguarded = parameter_free(faces, guard_switches=False)
    assert unguarded[0] == unguarded[6]  # the two people merged through the one track
    labels = parameter_free(faces)
    assert len(set(labels.tolist())) == 14
    assert len(set(zip(truth.tolist(), labels.tolist()))) == 14  # the switch joins person 0


def test_likelier_apart_is_where_the_two_fitted_densities_cross():
    # same-person distances N(0.4, 0.1), different people N(1.0, 0.1): equal spreads cross
    # half-way, at 0.7; a wider impostor spread N(1.0, 0.2) moves the crossing towards the
    # same-person side (the two Gaussians' log densities are equal at 0.6225)
    from scipy.stats import norm

    from fiftyone_plugin.clustering.common import likelier_apart

    q = norm.ppf((np.arange(2000) + 0.5) / 2000)  # exact quantiles: median and MAD as set
    assert likelier_apart(0.4 + 0.1 * q, 1.0 + 0.1 * q) == pytest.approx(0.7, abs=2e-3)
    assert likelier_apart(0.4 + 0.1 * q, 1.0 + 0.2 * q) == pytest.approx(0.6225, abs=2e-3)
    assert likelier_apart(0.4 + 0.1 * q[:50], 1.0 + 0.1 * q) is None  # too few pairs
    assert likelier_apart(1.0 + 0.1 * q, 0.4 + 0.1 * q) is None  # they do not separate


def test_one_close_pair_of_tracks_does_not_join_two_people():
    # 5 people x 7 tracks; track 0 of person 0 is a hard photo, 35 degrees from another
    # track of its person towards a track of person 1 (cosine distances 0.16 and 0.37; one
    # person's tracks are 0.1-0.2 apart, different people's about 1). Joining every pair
    # below the impostor bound at once (single linkage inside a round) merged persons 0 and
    # 1 on that one pair; with each cluster joining only its nearest cluster below the bound
    # the hard photo joins its own person, and the two people's means stay far apart
    from fiftyone_plugin.clustering.common import track_means, unit

    rng = np.random.default_rng(1)
    dim = 64
    protos = unit(rng.normal(size=(5, dim)))

    def track(centre):
        f = centre + rng.normal(scale=0.06, size=dim) + rng.normal(scale=0.06, size=(6, dim))
        return unit(f).astype(np.float32)

    faces = [track(p) for p in protos for _ in range(7)]
    truth = np.repeat(np.arange(5), 7)
    means = track_means(faces)
    angle = np.deg2rad(35)
    hard = unit((np.cos(angle) * means[1] + np.sin(angle) * means[7])[None])
    faces[0] = np.repeat(hard, 6, 0).astype(np.float32)
    d = 1 - track_means(faces) @ track_means(faces)[0]
    assert d[1] < 0.2 and d[7] < 0.4 and d[truth != 0].min() == d[7]
    assert len(set(parameter_free(faces, nearest=False).tolist())) == 4  # the old merge
    labels = parameter_free(faces)
    assert len(set(labels.tolist())) == 5
    assert len(set(zip(truth.tolist(), labels.tolist()))) == 5


def test_two_close_people_do_not_merge_on_their_clusters_means():
    # 8 people x 4 tracks, each track its person's direction plus noise (a different photo
    # per track); persons 0 and 1 are close (cosine 0.45). A mean direction gets closer to
    # any other as it averages more tracks, so the two people's cluster means come closer
    # than their tracks are, and comparing means (centroid linkage) merged them under a
    # bound fitted on pairs of single tracks. Compared as their units would join one at a
    # time (each track from the other cluster's mean: 0.72 and 0.73 on average), they stay
    # apart
    from fiftyone_plugin.clustering.common import track_means, unit

    rng = np.random.default_rng(0)
    dim, people, per, c = 64, 8, 4, 0.45
    protos = unit(rng.normal(size=(people, dim)))
    away = unit((protos[1] - (protos[1] @ protos[0]) * protos[0])[None])[0]
    protos[1] = c * protos[0] + np.sqrt(1 - c * c) * away

    def track(person):
        centre = person + rng.normal(scale=0.1, size=dim)
        return unit(centre + rng.normal(scale=0.03, size=(6, dim))).astype(np.float32)

    faces = [track(p) for p in protos for _ in range(per)]
    truth = np.repeat(np.arange(people), per)
    d = 1 - track_means(faces) @ track_means(faces).T
    same = truth[:, None] == truth[None]
    assert d[same].max() < 0.6 and d[:per, per:2 * per].min() > 0.63
    assert len(set(parameter_free(faces, linkage="centroid").tolist())) == 7  # the merge
    labels = parameter_free(faces)
    assert len(set(labels.tolist())) == 8
    assert len(set(zip(truth.tolist(), labels.tolist()))) == 8
