"""VideoClusterNet's parameter-free track clustering (stage 3), with a pluggable distance.

Each track carries its own threshold: how far apart the model puts that person's own faces
(the mean pairwise distance of the track's sampled faces). Two clusters merge when their
distance is below the threshold of *either* of them, merges are applied transitively (never
across a cannot-link), and rounds repeat on the merged clusters until nothing merges.

Rules the paper leaves open, chosen here (measured in BENCHMARKS.md):

- *Distance*: two, each for its own comparison. A track's threshold (its own spread) is a
  mean over its face pairs, so the units of step 1 below compare it with the mean distance
  over the face pairs of two groups, ``1 - s_a . s_b`` with ``s`` the (unnormalised) mean
  face vector. The identity decisions (the bound and the merges under it) use the cosine
  distance of the groups' mean face *directions*, ``1 - cos(s_a, s_b)`` (centroid linkage on
  the sphere): the face-pair mean of a cluster moves towards 1 as it gathers a person's
  varied faces (``|s|`` shrinks), so the larger and more varied an identity grew, the
  further each new track of that person looked from it, while the bound is fitted on pairs
  of single units. The direction does not depend on how many faces a group holds (on the
  20-minute episode benchmark, 14 identities on the clustered tracks before, 12 after, all
  pure). Two *clusters* are compared as their units would join one at a time
  (:class:`UnitsToCentroidDistance`): a mean direction averages out its tracks' noise, so it
  comes closer to any other direction the more tracks it holds, and comparing two clusters'
  means would measure them on a nearer scale than the unit pairs the bound is fitted on (on
  an lfw_dev multi-shot video two people's 3 and 2 tracks, 0.750-0.854 apart, had means 0.745
  apart, under the bound 0.753; their tracks from each other's mean: 0.766 and 0.780 on
  average). All exact for merged clusters and cheap. The adapted model's symmetrised loss
  plugs in through :class:`GroupDistance` (one distance for both).
- *Faces per track*: at most ``max_faces`` (8), evenly spaced over the track.
- *Merged cluster*: its faces are the union of its members' faces; its threshold is the
  largest member threshold (``merged_threshold="max"``) or recomputed as the mean pairwise
  distance over the union (``"recompute"``).
- *Floor* (``floor="impostor"``, our addition): a track's within-track spread understates how
  different one person's faces can look across shots (a static shot, a still photo, a short
  track, or raw embeddings not yet adapted to the video). Each threshold is therefore at
  least the *impostor bound*: the distance below which fewer than one pair of different
  people is expected (:mod:`~.common`). It needs no parameter; ``floor=None`` gives the
  paper's rule alone, a number gives a fixed floor. How it is fitted matters as much as
  using it:

  1. Units first: two tracks become one when their distance is below *each* one's own
     spread (near duplicates: a rerun shot, a track cut in two), so a track repeated k
     times counts once in what follows. "Each", not "either": a track whose own faces are
     far apart (a tracker's identity switch, a look change, an occlusion) must not pull
     other people in before any bound exists.
  2. The bound is fitted on the far side of the distances between those units
     (:func:`~.common.far_side_bound`). A video of a few people with many tracks each
     (any real episode) has a third or more of its pairs showing one person twice; the
     earlier fit of the whole bulk took them for impostors, dragged the bound below
     every same-person distance and split the cast into one identity per track, worse the
     longer the video (187 identities for 3 people at 10 minutes).
  3. The clustering that bound gives keeps apart pairs that are now nearly all impostors;
     the bound is refitted on them alone with the full robust fit
     (:func:`~.common.self_consistent_bound`) and drives the final clustering.
  4. The bound is also every threshold's *ceiling*: a within-track spread above it would
     accept distances at which pairs of different people are expected (on the episode
     benchmark one incoherent track of spread 0.82 merged two main characters). So the last
     stage merges clusters closer than the bound; the per-track thresholds decide the units
     of step 1. Steps 2 to 4 compare mean directions (*Distance* above). Under the bound a
     round joins each cluster with its *nearest* cluster below it (``nearest=True``; then
     transitively, never across a cannot-link), and rounds repeat on the merged means. The
     bound expects about one pair of different people below it, so joining every pair below
     it at once let that one pair decide for two whole identities (single linkage): on a
     5-person clip one Gordon Brown track 0.665 from one Jean Charest track (bound 0.715)
     merged the two people, whose mean directions are 0.76 apart. A track nearest its own
     person cannot be pulled to another this way, while a chain of one person's looks,
     each nearest the next, still joins.
  5. Looks: a track is one person across every look it spans (a head turning, the light
     changing, in the benchmarks a photo changing to another), and its mean hides the
     looks at its ends. Each unit's first track gives its two faces furthest apart
     (:func:`track_looks`), and the paper's rule runs once more one level down: a look's
     threshold is the distance between its track's own two looks, capped by the impostor
     bound *of looks* (fitted like step 3 on the look pairs the clustering keeps apart);
     two clusters join where a look of one is below either look's threshold from a look of
     the other, and merging continues until stable. On the 2-minute episode benchmark one
     photo of a person is 0.63 from her nearest track's mean, while tracks of two
     different people come as close as 0.62, but 0.47 from a face of the track that turns
     to that photo. A track that does not change look links nothing here (its threshold
     is its small spread): single faces compared at the bound itself would link two of
     a few people (``tests/test_scope.py``). A motion tracker can also switch from one
     person to another where two faces cross or one replaces the other; such a track's two
     looks are two people, and it joined them. So a track whose own looks are farther
     apart than they are likely to be for one person links nothing here
     (``guard_switches``): above the distance where the fitted densities of look pairs in
     one cluster and in different clusters cross (:func:`~.common.likelier_apart`; equal
     odds, no parameter). One person's look change mostly stays below it: on the episode
     benchmark one person's looks across tracks are 0.47 apart on median, different
     people's 0.91, the crossing 0.71-0.74, a track's own looks span at most 0.64 up to 2
     minutes, and the 2-11 tracks above it in the longer videos change no identity. It
     runs where all look pairs are compared exactly (up to ``exact_up_to`` looks: any one
     video; a search over more doubled the time at 100k tracks).

  Below 100 unit pairs the bound cannot be estimated: ``fallback`` (the embedding model's
  verification distance) takes its place, and without one the paper's rule runs alone.
- *Tracks with one face* have no within-track distances: their own threshold is 0 (the
  floor still applies).
- *Candidates*: exact over all pairs up to ``exact_up_to`` groups; above that, every pair
  closer than the largest threshold (only those can merge), at most the ``candidates``
  nearest per group, found in row blocks without an N x N matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import (CannotLink, bound_apart, constrained_components, evenly_spaced,
                     group_sums, likelier_apart, relabel, sample_pairs, self_consistent_bound,
                     top_k_similar, unit)


@dataclass
class Groups:
    """Cosine state of groups of faces: the sum of unit vectors and the face count."""

    sums: np.ndarray  # (G, D)
    counts: np.ndarray  # (G,)


class GroupDistance:
    """Interface of a distance between groups of faces (tracks or clusters)."""

    def init(self, faces: list[np.ndarray]) -> object:
        raise NotImplementedError

    def within(self, groups) -> np.ndarray:
        """Mean pairwise distance inside each group; NaN where a group has one face."""
        raise NotImplementedError

    def between(self, groups, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Distance of groups ``a[i]`` and ``b[i]``."""
        raise NotImplementedError

    def neighbours(self, groups, k: int, max_distance: float
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs ``(a, b)``: each group with the others closer than
        ``max_distance`` (at most its ``k`` nearest)."""
        raise NotImplementedError

    def merge(self, groups, labels: np.ndarray):
        """Groups of the union of each label's members."""
        raise NotImplementedError

    def for_identities(self) -> "GroupDistance":
        """The distance of the identity decisions (the impostor bound and the merges under
        it) on the same groups; by default this one."""
        return self

    def lift(self, groups):
        """This distance's state of ``groups`` made by another distance's ``init``/``merge``
        (the units of step 1); by default the same."""
        return groups


class CosineDistance(GroupDistance):
    """Mean cosine distance over face pairs, ``1 - mean_i mean_j <e_i, e_j>``; with
    ``centred``, the cosine distance of the groups' mean face directions instead.

    Args:
        centred (bool): Compare mean directions (centroid linkage). Defaults to False.
    """

    def __init__(self, centred: bool = False) -> None:
        self.centred = centred

    def _means(self, groups) -> np.ndarray:
        m = groups.sums / groups.counts[:, None]
        if self.centred:
            m = m / np.linalg.norm(m, axis=1, keepdims=True).clip(1e-12)
        return m.astype(np.float32)

    def init(self, faces):
        faces = [unit(f) for f in faces]
        return Groups(np.stack([f.sum(0) for f in faces]).astype(np.float64),
                      np.array([len(f) for f in faces], np.float64))

    def within(self, groups):
        n = groups.counts
        sq = (groups.sums ** 2).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_dot = (sq - n) / (n * (n - 1))  # self-pairs (dot 1) left out
        return np.where(n > 1, 1.0 - mean_dot, np.nan)

    def between(self, groups, a, b, chunk: int = 65536):
        m = self._means(groups)
        out = np.empty(len(a), np.float64)
        for s in range(0, len(a), chunk):  # bounded memory for millions of pairs
            out[s:s + chunk] = 1.0 - np.einsum("ij,ij->i", m[a[s:s + chunk]],
                                               m[b[s:s + chunk]])
        return out

    def neighbours(self, groups, k, max_distance):
        m = self._means(groups)
        idx, sim = top_k_similar(m, k)  # distance = 1 - dot of the means
        rows = np.repeat(np.arange(len(m)), idx.shape[1])
        close = (1.0 - sim.reshape(-1)) < max_distance
        return rows[close], idx.reshape(-1)[close]

    def merge(self, groups, labels):
        g = int(labels.max()) + 1
        return Groups(group_sums(groups.sums, labels, g),
                      np.bincount(labels, weights=groups.counts, minlength=g))

    def for_identities(self):
        return UnitsToCentroidDistance()


@dataclass
class UnitGroups(Groups):
    """:class:`Groups` that also keep their units: the sum of the units' mean face
    directions and how many units each holds."""

    directions: np.ndarray  # (G, D)
    units: np.ndarray  # (G,)


class UnitsToCentroidDistance(CosineDistance):
    """Two clusters compared as their units would join one at a time: the mean cosine
    distance of one cluster's units from the other's mean face direction, the smaller of the
    two ways. A single unit and a cluster: at most the unit's distance from the cluster's
    mean direction (centroid linkage). Candidates above ``exact_up_to`` come from the mean
    directions (a cluster's units are on average no closer to another mean than its own
    mean direction is, up to how the faces weigh in that mean)."""

    def __init__(self) -> None:
        super().__init__(centred=True)

    def lift(self, groups: Groups) -> UnitGroups:
        return UnitGroups(groups.sums, groups.counts, unit(groups.sums),
                          np.ones(len(groups.counts)))

    def init(self, faces):
        return self.lift(super().init(faces))

    def between(self, groups, a, b, chunk: int = 65536):
        centre = self._means(groups)
        mean_unit = (groups.directions / groups.units[:, None]).astype(np.float32)
        several = groups.units > 1
        out = np.empty(len(a), np.float64)
        for s in range(0, len(a), chunk):
            i, j = a[s:s + chunk], b[s:s + chunk]
            sim = np.einsum("ij,ij->i", mean_unit[j], centre[i])
            # two single units: both ways are the same cosine
            k = np.flatnonzero(several[i] | several[j])
            sim[k] = np.maximum(sim[k], np.einsum("ij,ij->i", mean_unit[i[k]], centre[j[k]]))
            out[s:s + chunk] = 1.0 - sim
        return out

    def merge(self, groups, labels):
        g = int(labels.max()) + 1
        merged = super().merge(groups, labels)
        return UnitGroups(merged.sums, merged.counts, group_sums(groups.directions, labels, g),
                          np.bincount(labels, weights=groups.units, minlength=g))


def _candidate_pairs(distance: GroupDistance, groups, candidates: int, max_distance: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``a < b``: each group with its ``candidates`` nearest groups closer than
    ``max_distance``."""
    a, b = distance.neighbours(groups, candidates, max_distance)
    keep = a != b
    pairs = np.unique(np.stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]], 1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _rounds(distance: GroupDistance, groups, tau: np.ndarray, labels: np.ndarray,
            constraints: CannotLink, floor: float | None, merged_threshold: str,
            exact_up_to: int, candidates: int, max_rounds: int, ceiling: float | None = None,
            both: bool = False, nearest: bool = False, first_pairs=None):
    """Merge rounds until stable: two groups merge when their distance is below the larger
    of their thresholds (``both``: below each of them), each threshold clipped to
    ``[floor, ceiling]``. A round joins every such pair transitively, or with ``nearest``
    only each group with its nearest such group (still transitively). ``first_pairs``: the
    first round's candidate pairs, searched before. Returns ``(groups, tau, labels)``."""
    tau = np.clip(tau, floor, ceiling) if floor is not None or ceiling is not None else tau
    for _ in range(max_rounds):
        g = len(tau)
        if g <= 1:
            break
        if first_pairs is not None:
            (a, b), first_pairs = first_pairs, None
        elif g <= exact_up_to:
            a, b = np.triu_indices(g, 1)
        else:
            a, b = _candidate_pairs(distance, groups, candidates, float(tau.max()))
        d = distance.between(groups, a, b)
        # "below either track's threshold" = below the larger one
        margin = (np.minimum if both else np.maximum)(tau[a], tau[b]) - d
        ok = np.flatnonzero(margin > 0)
        if not len(ok):
            break
        apart = constraints.between_groups(labels)
        if nearest:  # each group's nearest group it may join
            ok = ok[~apart.contains(a[ok], b[ok])]
            ok = ok[_nearest(g, a[ok], b[ok], margin[ok])]
            if not len(ok):
                break
        # clearest merges first, so a forbidden chain drops its weakest link
        merge = constrained_components(g, a[ok], b[ok], np.argsort(-margin[ok], kind="stable"),
                                       apart)
        if merge.max() + 1 == g:
            break
        if merged_threshold == "max":
            new_tau = np.zeros(merge.max() + 1)
            np.maximum.at(new_tau, merge, tau)
        groups = distance.merge(groups, merge)
        if merged_threshold == "recompute":
            new_tau = np.nan_to_num(distance.within(groups), nan=0.0)
            if floor is not None or ceiling is not None:
                new_tau = np.clip(new_tau, floor, ceiling)
        tau, labels = new_tau, merge[labels]
    return groups, tau, labels


def _nearest(g: int, a: np.ndarray, b: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Indices of the pairs ``(a, b)`` that are the best (largest margin) pair of at least
    one of their two groups, among the pairs given (``g`` groups)."""
    best = np.full(g, -np.inf)
    np.maximum.at(best, a, margin)
    np.maximum.at(best, b, margin)
    return np.flatnonzero((margin == best[a]) | (margin == best[b]))


def parameter_free(faces: list[np.ndarray], cannot_link=None,
                   distance: GroupDistance | None = None, max_faces: int = 8,
                   floor: str | float | None = "impostor", fallback: float | None = None,
                   looks: bool = True, guard_switches: bool = True, nearest: bool = True,
                   merged_threshold: str = "max", exact_up_to: int = 4096,
                   candidates: int = 32, max_rounds: int = 100,
                   linkage: str = "units") -> np.ndarray:
    """Cluster tracks with per-track adaptive thresholds (no K, no global threshold).

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, D)`` face embeddings.
        cannot_link (optional): Track pairs that must stay apart (shared frames).
        distance (GroupDistance, optional): Defaults to :class:`CosineDistance`.
        max_faces (int): Faces sampled per track. Defaults to 8.
        floor (str | float | None): ``"impostor"`` (estimated, default), a fixed distance,
            or None for the paper's within-track thresholds alone (see module doc).
        fallback (float, optional): Floor when the impostor bound cannot be estimated
            (fewer than 100 track pairs), e.g. the embedding's verification distance.
        looks (bool): Step 5, clusters joined by the looks at tracks' ends (module doc).
            Defaults to True; False for the ablation.
        guard_switches (bool): In step 5, a track whose two looks are likelier two people
            than one (a tracker's identity switch) links nothing (module doc). Defaults to
            True; False for the ablation.
        nearest (bool): Under the bound, each cluster joins only its nearest cluster per
            round (module doc, step 4). Defaults to True; False joins every pair below it.
        linkage (str): How the cosine identity decisions compare two clusters: ``"units"``
            (default) as their units would join one at a time, ``"centroid"`` by their mean
            directions alone (module doc, *Distance*; the ablation).
        merged_threshold (str): ``"max"`` or ``"recompute"`` (see module doc).
            Defaults to ``"max"``.
        exact_up_to (int): Compare all pairs up to this many groups. Defaults to 4096.
        candidates (int): Most groups compared with each above that. Defaults to 32.
        max_rounds (int): Safety cap on merge rounds. Defaults to 100.

    Returns:
        np.ndarray: ``(N,)`` labels ``0..K-1`` in order of first track.
    """
    if linkage not in ("units", "centroid"):
        raise ValueError(f"linkage must be 'units' or 'centroid', not {linkage!r}")
    if merged_threshold not in ("max", "recompute"):
        raise ValueError(f"merged_threshold must be 'max' or 'recompute', not "
                         f"{merged_threshold!r}")
    n = len(faces)
    if n <= 1:
        return np.zeros(n, np.int64)
    distance = distance or CosineDistance()
    sampled = [evenly_spaced(np.asarray(f), max_faces) for f in faces]
    groups = distance.init(sampled)
    tau = np.nan_to_num(distance.within(groups), nan=0.0)
    constraints = CannotLink(cannot_link, n)
    settings = dict(merged_threshold=merged_threshold, exact_up_to=exact_up_to,
                    candidates=candidates, max_rounds=max_rounds)
    if floor != "impostor":
        *_, labels = _rounds(distance, groups, tau, np.arange(n), constraints, floor,
                             **settings)
        return relabel(labels)
    # stage 1, units: tracks closer to each other than each one's own faces are (near
    # duplicates, a track cut in two) become one, so a track repeated k times weighs once
    # in the bound below; "each", so one incoherent track cannot pull others in
    units, unit_tau, unit_of = _rounds(distance, groups, tau, np.arange(n), constraints,
                                       None, both=True, **settings)
    identity_distance = distance.for_identities()
    if linkage == "centroid" and isinstance(distance, CosineDistance):  # the ablation
        identity_distance = CosineDistance(centred=True)
    units = identity_distance.lift(units)
    start = dict(groups=units, tau=unit_tau, labels=unit_of, floor=-np.inf)
    state = dict(start)
    first_track = np.zeros(len(unit_tau), np.int64)
    first_track[unit_of[::-1]] = np.arange(n)[::-1]

    unit_pairs = []  # above exact_up_to: the units' candidates, searched once for all bounds

    def cluster_units(bound: float) -> np.ndarray:
        # a higher floor only adds merges: continue from the last clusters; a lower one
        # starts again from the units
        base = state if bound >= state["floor"] else start
        first = None
        if base["groups"] is units and len(unit_tau) > exact_up_to:
            if not unit_pairs:  # every candidate: the bound's cut comes with the margins
                unit_pairs.append(_candidate_pairs(identity_distance, units, candidates,
                                                   np.inf))
            first = unit_pairs[0]
        groups, tau, labels = _rounds(identity_distance, base["groups"], base["tau"],
                                      base["labels"], constraints, bound, ceiling=bound,
                                      nearest=nearest, first_pairs=first, **settings)
        state.update(groups=groups, tau=tau, labels=labels, floor=bound)
        return labels[first_track]

    a, b = sample_pairs(len(unit_tau))
    bound, _ = self_consistent_bound(a, b, identity_distance.between(units, a, b),
                                     len(unit_tau), cluster_units)
    if bound is None:  # too few tracks to fit it
        if fallback is None:  # the paper's rule alone
            *_, labels = _rounds(distance, groups, tau, np.arange(n), constraints, None,
                                 **settings)
            return relabel(labels)
        bound = float(fallback)
        cluster_units(bound)
    if not looks:
        return relabel(state["labels"])
    # step 5, looks: a track is one person across every look it spans, so two identities
    # join where a look of one is as close to a look of the other as one person's faces are
    links = _look_links(identity_distance, [sampled[t] for t in first_track],
                        state["labels"][first_track], fallback, exact_up_to, guard_switches)
    if len(links[0]):
        k = int(state["labels"].max()) + 1
        merge = constrained_components(k, *links[:2], np.argsort(-links[2], kind="stable"),
                                       constraints.between_groups(state["labels"]))
        if merge.max() + 1 < k:  # and then merge until stable again, as before
            *_, labels = _rounds(identity_distance,
                                 identity_distance.merge(state["groups"], merge),
                                 np.full(merge.max() + 1, bound), merge[state["labels"]],
                                 constraints, bound, ceiling=bound, nearest=nearest,
                                 **settings)
            return relabel(labels)
    return relabel(state["labels"])


def track_looks(faces: np.ndarray) -> np.ndarray:
    """A track's *looks*: its two faces furthest apart, the ends of the range its
    appearance spans (pose, light, a change of photo); a one-face track has one."""
    f = unit(np.asarray(faces, np.float64))
    if len(f) < 2:
        return f
    i, j = np.unravel_index(np.argmin(f @ f.T), (len(f), len(f)))
    return f[[i, j]]


def _look_links(distance: GroupDistance, faces: list[np.ndarray], labels: np.ndarray,
                fallback: float | None, exact_up_to: int, guard_switches: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of clusters ``(a, b)`` (``labels`` of the items) where a look of an item of one
    is as close to a look of an item of the other as one person's faces are, and the
    margins.

    VideoClusterNet's rule, one level down: each item's threshold is the distance between
    its own two looks (how different that person's faces can look), capped by the impostor
    bound *of looks*; a link needs the distance below either item's threshold. The bound is
    fitted on the look pairs the clustering keeps apart (:func:`~.common.bound_apart`);
    ``fallback`` stands in when there are too few looks to fit it (a face-pair verification
    distance is exactly that). Only items whose own looks differ can link: a track that does
    not change look adds nothing its mean did not say, and single faces are too noisy to
    compare at the bound on their own (in a video of a few people they would link two of
    them). With ``guard_switches`` an item whose own looks are likelier two people's than
    one's (:func:`~.common.likelier_apart` of the look pairs inside and across clusters)
    links nothing and nothing links to it. Runs where all look pairs are compared exactly
    (at most ``exact_up_to`` looks).
    """
    counts = np.array([min(len(f), 2) for f in faces])  # a track's looks: 2, or its 1 face
    none = np.zeros(0, np.int64)
    n = int(counts.sum())
    if n > exact_up_to:
        # a nearest-neighbour search over twice the units doubled the time at 100k
        # synthetic tracks (BENCHMARKS.md); one video's units (773 tracks at 20 minutes)
        # stay far below this, so only a collection of many videos goes without looks
        return none, none, np.zeros(0)
    looks = [track_looks(f) for f in faces]
    owner = np.repeat(np.arange(len(faces)), counts)
    groups = distance.init([x[None] for x in np.concatenate(looks)])
    a, b = sample_pairs(n)
    d = distance.between(groups, a, b)
    bound = bound_apart(a, b, d, labels[owner], n)
    bound = fallback if bound is None else bound
    if bound is None:
        return none, none, np.zeros(0)
    first = np.cumsum(counts) - counts
    two = np.flatnonzero(counts == 2)
    spread = np.zeros(len(faces))
    spread[two] = distance.between(groups, first[two], first[two] + 1)
    switched = np.zeros(len(faces), bool)
    if guard_switches:  # looks likelier two people's than one's: the tracker switched
        together = labels[owner[a]] == labels[owner[b]]
        cut = likelier_apart(d[together & (owner[a] != owner[b])], d[~together])
        switched = spread > (np.inf if cut is None else cut)
    threshold = np.minimum(spread, bound)[owner]
    if threshold.max() <= 0:
        return none, none, np.zeros(0)
    if n * (n - 1) // 2 > len(a):  # the bound's pairs were a sample: now all of them
        a, b = np.triu_indices(n, 1)
        d = distance.between(groups, a, b)
    margin = np.maximum(threshold[a], threshold[b]) - d
    margin[switched[owner[a]] | switched[owner[b]]] = -np.inf  # they link, and are linked, nothing
    a, b = labels[owner[a]], labels[owner[b]]
    keep = (margin > 0) & (a != b)
    return a[keep], b[keep], margin[keep]
