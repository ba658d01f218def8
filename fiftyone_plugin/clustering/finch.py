"""FINCH (Sarfraz, Sharma and Stiefelhagen, CVPR 2019), written from the paper, and its
C1C-style constrained form (Kalogeiton and Zisserman, BMVC 2020).

Every item links to its first (nearest, cosine) neighbour; the connected components of
those links are the first partition. Each cluster is then replaced by the mean of its
members and the step repeats, giving a hierarchy of ever coarser partitions. No parameter
is needed to build it. The paper does not say which partition to return, and every item
must link to something, so a person seen once is always merged into someone else. The
``partition="auto"`` rule is this project's choice (measured in BENCHMARKS.md): links longer
than the collection's impostor bound (the distance below which fewer than one pair of
different people is expected, fitted as :func:`~.common.self_consistent_bound`) are cut at
every level, and the coarsest partition of that hierarchy is returned. Unlike
``parameter_free``, a repeated track changes FINCH's answer: its copy is every track's first
neighbour. ``"first"``, ``"sqrt"`` and ``"last"``
pick from the uncut hierarchy.

Constrained form: an item whose nearest neighbour is cannot-linked (a track sharing a frame)
links to its nearest allowed neighbour instead, and links are joined shortest first, never
merging two clusters that hold a cannot-linked pair (must-links are the tracks themselves).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import (CannotLink, constrained_components, group_sums, relabel,
                     sample_pairs, self_consistent_bound, top_k_similar, track_means, unit)

PARTITION_RULES = ("auto", "first", "sqrt", "last")


@dataclass
class FinchResult:
    """The hierarchy: ``partitions[p]`` labels every item; coarser as ``p`` grows."""

    partitions: list[np.ndarray]

    @property
    def num_clusters(self) -> list[int]:
        return [int(p.max()) + 1 if len(p) else 0 for p in self.partitions]


def _means(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return unit(group_sums(x, labels))


def _first_links(x: np.ndarray, cannot: CannotLink | None, search: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's nearest allowed neighbour: ``(rows, neighbours, cosine distances)``."""
    if cannot is None or not len(cannot):
        idx, sim = top_k_similar(x, 1)
        rows = np.arange(len(x))
        return rows, idx[:, 0], 1.0 - sim[:, 0]
    idx, sim = top_k_similar(x, search)
    rows = np.repeat(np.arange(len(x)), idx.shape[1])
    allowed = ~cannot.contains(rows, idx.reshape(-1)).reshape(idx.shape)
    has = allowed.any(1)  # rows with no allowed neighbour among `search` stay alone
    first = allowed.argmax(1)
    r = np.flatnonzero(has)
    return r, idx[r, first[r]], 1.0 - sim[r, first[r]]


def _link_step(x: np.ndarray, cannot: CannotLink | None, search: int,
               max_distance: float | None = None) -> np.ndarray:
    rows, nbrs, dist = _first_links(x, cannot, search)
    if max_distance is not None:
        keep = dist <= max_distance
        rows, nbrs, dist = rows[keep], nbrs[keep], dist[keep]
    return constrained_components(len(x), rows, nbrs, np.argsort(dist, kind="stable"), cannot)


def finch_hierarchy(x: np.ndarray, cannot_link=None, search: int = 16,
                    max_distance: float | None = None) -> FinchResult:
    """All FINCH partitions of the rows of ``x`` (compared by cosine).

    Args:
        x (np.ndarray): ``(N, D)`` item vectors (track means).
        cannot_link (optional): Item pairs that must stay apart (constrained form).
        search (int): With constraints, neighbours searched for an allowed one.
            Defaults to 16.
        max_distance (float, optional): Cut first-neighbour links longer than this cosine
            distance at every level. Defaults to None (plain FINCH).

    Returns:
        FinchResult: Partitions from finest to coarsest.
    """
    x = unit(x)
    n = len(x)
    if n <= 1:
        return FinchResult([np.zeros(n, np.int64)])
    cannot = CannotLink(cannot_link, n) if cannot_link is not None else None
    labels = _link_step(x, cannot, search, max_distance)
    partitions = [labels]
    while labels.max() > 0:
        means = _means(x, labels)
        c = cannot.between_groups(labels) if cannot is not None else None
        step = _link_step(means, c, search, max_distance)
        if step.max() == labels.max():  # nothing merged any more
            break
        labels = step[labels]
        partitions.append(labels)
    return FinchResult(partitions)


def choose_partition(x: np.ndarray, result: FinchResult, rule: str = "first") -> int:
    """Which partition of an uncut hierarchy to return.

    Args:
        x (np.ndarray): The clustered vectors.
        result (FinchResult): The hierarchy.
        rule (str): ``"first"`` (the finest, purest), ``"sqrt"`` (the first with at most
            sqrt(N) clusters) or ``"last"`` (the coarsest). Defaults to ``"first"``.

    Returns:
        int: Partition index.
    """
    if rule not in PARTITION_RULES or rule == "auto":
        raise ValueError(f"unknown partition rule {rule!r}; choose from {PARTITION_RULES[1:]}")
    counts = result.num_clusters
    if rule == "first":
        return 0
    if rule == "last":
        return len(counts) - 1
    limit = np.sqrt(len(x))
    return next((p for p, c in enumerate(counts) if c <= limit), len(counts) - 1)


def link_bound(x: np.ndarray, cannot_link=None, search: int = 16, max_pairs: int = 200_000,
               seed: int = 0) -> tuple[float | None, np.ndarray | None]:
    """Self-consistent impostor bound of the cosine distances between the rows of unit
    ``x`` (:func:`~.common.self_consistent_bound`) and the hierarchy cut at it."""
    n = len(x)
    a, b = sample_pairs(n, max_pairs, seed)
    return self_consistent_bound(
        a, b, 1.0 - np.einsum("ij,ij->i", x[a], x[b]), n,
        lambda bound: finch_hierarchy(x, cannot_link, search, bound).partitions[-1])


def merge_to_k(x: np.ndarray, labels: np.ndarray, k: int,
               cannot: CannotLink | None = None) -> np.ndarray:
    """Merge the closest pair of cluster means (cosine) until ``k`` clusters remain.

    Holds a dense cluster x cluster similarity (quadratic in the starting cluster count);
    never merges a cannot-linked pair, so fewer than ``k`` merges may be possible.
    """
    labels = relabel(labels)
    g = int(labels.max()) + 1
    sums = group_sums(x, labels, g)
    forbid = np.zeros((g, g), bool)
    if cannot is not None and len(cannot):
        p = cannot.between_groups(labels).pairs
        forbid[p[:, 0], p[:, 1]] = forbid[p[:, 1], p[:, 0]] = True
    means = unit(sums)
    sim = (means @ means.T).astype(np.float32)
    np.fill_diagonal(sim, -np.inf)
    sim[forbid] = -np.inf
    alive = np.ones(g, bool)
    for _ in range(g - k):
        a, b = np.unravel_index(np.argmax(sim), sim.shape)
        if not np.isfinite(sim[a, b]):
            break  # only cannot-linked pairs are left
        sums[a] += sums[b]
        forbid[a] |= forbid[b]
        forbid[:, a] = forbid[a]
        alive[b] = False
        labels[labels == b] = a
        row = unit(sums) @ unit(sums[a:a + 1])[0]
        row[~alive | forbid[a]] = -np.inf
        row[a] = -np.inf
        sim[a, :] = sim[:, a] = row
        sim[b, :] = sim[:, b] = -np.inf
    return relabel(labels)


def finch(faces: list[np.ndarray], cannot_link=None, n_clusters: int | None = None,
          partition: str = "auto", fallback: float | None = None,
          search: int = 16) -> np.ndarray:
    """FINCH on track means; with ``cannot_link`` this is the C1C-style constrained form.

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, D)`` face embeddings.
        cannot_link (optional): Track pairs that must stay apart. Defaults to None.
        n_clusters (int, optional): Required K: start from the coarsest partition with at
            least K clusters (or from single tracks) and merge the closest pair of cluster
            means until K remain. Defaults to None (choose a partition by ``partition``).
        partition (str): ``"auto"`` (the hierarchy cut at the impostor bound, see the
            module doc) or a rule of :func:`choose_partition`. Defaults to ``"auto"``.
        fallback (float, optional): Link cut for ``"auto"`` when the bound cannot be
            estimated (fewer than 100 track pairs); without it, the first partition.
        search (int): Neighbours searched for an allowed one. Defaults to 16.

    Returns:
        np.ndarray: ``(N,)`` labels.
    """
    n = len(faces)
    if n_clusters is not None and not 1 <= n_clusters <= max(n, 1):
        raise ValueError(f"n_clusters must be between 1 and the number of tracks ({n}), "
                         f"not {n_clusters}")
    if n <= 1:
        return np.zeros(n, np.int64)
    x = track_means(faces)
    if n_clusters is None and partition == "auto":
        bound, labels = link_bound(x, cannot_link, search)
        if bound is not None:
            return labels
        if fallback is None:
            return finch_hierarchy(x, cannot_link, search).partitions[0]
        return finch_hierarchy(x, cannot_link, search, fallback).partitions[-1]
    result = finch_hierarchy(x, cannot_link, search)
    if n_clusters is None:
        return result.partitions[choose_partition(x, result, partition)]
    counts = result.num_clusters
    start = max((p for p, c in enumerate(counts) if c >= n_clusters), default=None)
    if start is None:  # K above the finest partition: start from single tracks
        labels = np.arange(n)
    elif counts[start] == n_clusters:
        return result.partitions[start]
    else:
        labels = result.partitions[start]
    cannot = CannotLink(cannot_link, n) if cannot_link is not None else None
    return merge_to_k(x, labels, n_clusters, cannot)
