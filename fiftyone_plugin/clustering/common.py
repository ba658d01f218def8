"""Building blocks shared by the clustering methods: track means, blocked cosine
neighbours, cannot-link bookkeeping and constraint-respecting union-find.

Everything is NumPy (plus torch for the blocked matrix products); no N x N matrix is held
at once, so the methods that use these scale to 100k tracks.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import torch


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-12)


def group_sums(x: np.ndarray, labels: np.ndarray, groups: int | None = None) -> np.ndarray:
    """Row sums of ``x`` per label ``0..groups-1`` (float64)."""
    g = int(labels.max()) + 1 if groups is None else groups
    out = np.zeros((g,) + x.shape[1:], np.float64)
    np.add.at(out, labels, x)
    return out


def evenly_spaced(rows: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` items of ``rows``, evenly spaced, first and last kept (deterministic)."""
    if len(rows) <= k:
        return rows
    return rows[np.linspace(0, len(rows) - 1, k).round().astype(int)]


def track_means(faces: list[np.ndarray], normalise: bool = True) -> np.ndarray:
    """``(N, D)`` mean of each track's unit face embeddings (re-normalised by default)."""
    if not faces:
        return np.zeros((0, 0), np.float32)
    means = np.stack([unit(f).mean(0) for f in faces]).astype(np.float32)
    return unit(means) if normalise else means


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered ``0..K-1`` in order of first appearance."""
    labels = np.asarray(labels)
    if not len(labels):
        return np.zeros(0, np.int64)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


@lru_cache(maxsize=1)
def _search_dtype() -> torch.dtype:
    """bfloat16 where the CPU multiplies it natively (about 2x faster than float32 here),
    else float32. Only candidates are searched at this precision; scores are exact."""
    try:
        return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32
    except (AttributeError, RuntimeError):
        return torch.float32


def top_k_similar(x: np.ndarray, k: int, y: np.ndarray | None = None,
                  block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``y`` (default ``x``, self excluded) with the largest dot product
    with each row of ``x``, in row blocks (no N x N matrix).

    Candidates (``k`` + 8) are searched at reduced precision when the CPU supports it fast,
    then re-scored exactly in float32 and re-ranked.

    Returns:
        tuple: ``(indices (N, k), exact similarities (N, k))``, most similar first.
    """
    same = y is None
    y = x if same else y
    n = len(x)
    k = min(k, len(y) - (1 if same else 0))
    if k <= 0 or n == 0:
        return np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32)
    dtype = _search_dtype()
    search = min(k + 8, len(y) - (1 if same else 0)) if dtype != torch.float32 else k
    xt = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    yt = torch.from_numpy(np.ascontiguousarray(y, np.float32))
    xs, ys = xt.to(dtype), yt.to(dtype)
    idx = np.empty((n, k), np.int64)
    sim = np.empty((n, k), np.float32)
    with torch.inference_mode():
        for s in range(0, n, block):
            d = xs[s:s + block] @ ys.T
            if same:
                rows = torch.arange(d.shape[0])
                d[rows, rows + s] = -torch.inf
            _, i = torch.topk(d, search, dim=1)
            exact = torch.einsum("bd,bkd->bk", xt[s:s + block], yt[i])
            v, order = torch.topk(exact, k, dim=1)
            idx[s:s + block] = torch.gather(i, 1, order).numpy()
            sim[s:s + block] = v.numpy()
    return idx, sim


class CannotLink:
    """Pairs of items that must end in different clusters (e.g. tracks sharing a frame).

    Args:
        pairs (Iterable[tuple[int, int]] | np.ndarray): ``(a, b)`` item pairs.
        n (int): Number of items.
    """

    def __init__(self, pairs: Iterable[tuple[int, int]] | np.ndarray | None, n: int) -> None:
        arr = np.asarray(list(pairs) if pairs is not None and not isinstance(pairs, np.ndarray)
                         else (pairs if pairs is not None else []), dtype=np.int64).reshape(-1, 2)
        if len(arr) and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"cannot-link pair refers to an item outside 0..{n - 1}")
        arr = np.sort(arr, axis=1)
        arr = arr[arr[:, 0] != arr[:, 1]]
        self.n = n
        self.pairs = np.unique(arr, axis=0) if len(arr) else arr
        self._keys = np.sort(self.pairs[:, 0] * n + self.pairs[:, 1])

    def __len__(self) -> int:
        return len(self.pairs)

    def contains(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Vectorised ``(a[i], b[i])`` in the set."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        keys = np.minimum(a, b) * self.n + np.maximum(a, b)
        pos = np.searchsorted(self._keys, keys).clip(0, max(len(self._keys) - 1, 0))
        return (self._keys[pos] == keys) if len(self._keys) else np.zeros(len(keys), bool)

    def between_groups(self, labels: np.ndarray) -> "CannotLink":
        """The same constraints lifted to groups: groups ``labels[a]`` and ``labels[b]``."""
        labels = np.asarray(labels, np.int64)
        n = int(labels.max()) + 1 if len(labels) else 0
        return CannotLink(labels[self.pairs], n)


class ConstrainedUnion:
    """Union-find that refuses to join two sets holding a cannot-linked pair.

    Args:
        n (int): Number of items.
        cannot_link (CannotLink, optional): The constraints. Defaults to none.
    """

    def __init__(self, n: int, cannot_link: CannotLink | None = None) -> None:
        self.parent = np.arange(n)
        self.enemies: dict[int, set[int]] = {}
        if cannot_link is not None:
            for a, b in cannot_link.pairs.tolist():
                self.enemies.setdefault(a, set()).add(b)
                self.enemies.setdefault(b, set()).add(a)

    def find(self, a: int) -> int:
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join the sets of ``a`` and ``b``; False when they are already one or forbidden."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or rb in self.enemies.get(ra, ()):
            return False
        ea, eb = self.enemies.pop(ra, set()), self.enemies.pop(rb, set())
        if len(ea) < len(eb):
            ra, rb, ea, eb = rb, ra, eb, ea
        self.parent[rb] = ra
        for e in eb:  # the enemies of rb are now enemies of ra
            self.enemies[e].discard(rb)
            self.enemies[e].add(ra)
        ea |= eb
        if ea:
            self.enemies[ra] = ea
        return True

    def union_edges(self, a: np.ndarray, b: np.ndarray, order: np.ndarray | None = None) -> int:
        """Union edge ``(a[i], b[i])`` in ``order`` (e.g. shortest first); returns merges."""
        order = np.arange(len(a)) if order is None else order
        return sum(self.union(int(a[i]), int(b[i])) for i in order)

    def labels(self) -> np.ndarray:
        return relabel(np.array([self.find(i) for i in range(len(self.parent))]))


def constrained_components(n: int, a: np.ndarray, b: np.ndarray, order: np.ndarray,
                           cannot_link: CannotLink | None = None) -> np.ndarray:
    """Connected components of the edges ``(a[i], b[i])`` that never join a cannot-linked
    pair: components without a conflict come straight from scipy; inside a conflicted one,
    edges are added in ``order`` (e.g. strongest first) and an edge that would join a
    forbidden pair is skipped.

    Returns:
        np.ndarray: ``(n,)`` labels ``0..K-1``.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    if cannot_link is None or not len(cannot_link):
        return relabel(comp)
    p = cannot_link.pairs
    bad = np.unique(comp[p[:, 0]][comp[p[:, 0]] == comp[p[:, 1]]])
    if not len(bad):
        return relabel(comp)
    union = ConstrainedUnion(n, cannot_link)
    in_bad = np.isin(comp, bad)
    order = np.asarray(order)
    union.union_edges(a, b, order[in_bad[a[order]]])
    fine = comp.astype(np.int64) + n  # offset: never collides with union-find roots
    roots = np.array([union.find(i) for i in np.flatnonzero(in_bad)], np.int64)
    fine[in_bad] = roots
    return relabel(fine)


# below this many item pairs the bulk of the distances is too small a sample to trust
MIN_PAIRS_FOR_BOUND = 100


def split_point(x: np.ndarray) -> float:
    """Otsu's split of a 1-D sample: the cut that maximises the between-class variance
    (exact, over the sorted values; no histogram bins)."""
    x = np.sort(np.asarray(x, np.float64))
    n, c = len(x), np.cumsum(x)
    k = np.arange(1, n)
    lower, upper = c[:-1] / k, (c[-1] - c[:-1]) / (n - k)
    i = int(np.argmax(k * (n - k) * (lower - upper) ** 2))
    return 0.5 * (x[i] + x[i + 1])


def truncated_gaussian(x: np.ndarray, cut: float) -> tuple[float, float, float]:
    """Maximum-likelihood Gaussian of the values above ``cut``, knowing that nothing below
    ``cut`` was kept. Returns ``(mean, std, fraction of the Gaussian above cut)``."""
    from scipy.optimize import minimize
    from scipy.stats import norm

    y = np.asarray(x, np.float64)
    y = y[y > cut]

    def nll(p):
        mu, log_s = p
        return -(norm.logpdf(y, mu, np.exp(log_s)).sum()
                 - len(y) * norm.logsf(cut, mu, np.exp(log_s)))

    fit = minimize(nll, [y.mean(), np.log(y.std() + 1e-6)], method="Nelder-Mead",
                   options=dict(xatol=1e-6, fatol=1e-8, maxiter=2000))
    mu, s = float(fit.x[0]), float(np.exp(fit.x[1]))
    return mu, s, float(norm.sf(cut, mu, s))


def robust_gaussian(x: np.ndarray) -> tuple[float, float]:
    """``(median, 1.4826 * median absolute deviation)``: a Gaussian's mean and standard
    deviation, untouched by a minority of outliers."""
    x = np.asarray(x, np.float64)
    centre = float(np.median(x))
    return centre, 1.4826 * float(np.median(np.abs(x - centre)))


def _tail_bound(centre: float, spread: float, num_impostor_pairs: float) -> float:
    from scipy.stats import norm

    return centre - float(norm.isf(1.0 / max(num_impostor_pairs, 2.0))) * max(spread, 1e-6)


def impostor_bound(distances: np.ndarray, num_pairs: int) -> float | None:
    """The distance below which fewer than one pair of *different* people is expected,
    for pairs that are nearly all impostors.

    The distances are fitted robustly (median and scaled median absolute deviation,
    untouched by a few same-person pairs) as a Gaussian, and the bound is its lower tail
    at probability ``1 / num_pairs``: over all pairs, one false link is expected. No
    parameter. When same-person pairs are many (a few people with many tracks each), use
    :func:`far_side_bound` or :func:`self_consistent_bound`.

    Args:
        distances (np.ndarray): Distances of (a random sample of) item pairs.
        num_pairs (int): The number of item pairs in the whole collection.

    Returns:
        float | None: The bound, or None when there are too few pairs to estimate it.
    """
    if num_pairs < MIN_PAIRS_FOR_BOUND or len(distances) < MIN_PAIRS_FOR_BOUND:
        return None
    return _tail_bound(*robust_gaussian(distances), num_pairs)


def far_side_bound(distances: np.ndarray, num_pairs: int) -> float | None:
    """:func:`impostor_bound` when any share of the pairs may show one person twice.

    Same-person pairs only ever add mass on the *near* side of the impostor distribution,
    so the Gaussian is fitted on its far side: the sample is split where the between-class
    variance is largest (:func:`split_point`) and the Gaussian is the maximum-likelihood fit
    of the values above the split, truncation accounted for (:func:`truncated_gaussian`).
    With a same-person bump the split falls in the valley and the bump is left out; without
    one it falls inside the single bump and the truncated fit still recovers the Gaussian,
    from half the data (so with more variance than :func:`impostor_bound`). The number of
    impostor pairs is the count above the split over the fitted fraction above it.
    """
    distances = np.asarray(distances, np.float64)
    if num_pairs < MIN_PAIRS_FOR_BOUND or len(distances) < MIN_PAIRS_FOR_BOUND:
        return None
    cut = split_point(distances)
    mu, s, above = truncated_gaussian(distances, cut)
    impostors = (distances > cut).sum() / max(above, 1e-12) * num_pairs / len(distances)
    return _tail_bound(mu, s, impostors)


def likelier_apart(same: np.ndarray, apart: np.ndarray) -> float | None:
    """The distance above which a pair is likelier to show two people than one.

    ``same`` and ``apart`` are distances of pairs a clustering puts in one identity and in
    different ones. Each is fitted robustly as a Gaussian (:func:`robust_gaussian`), and the
    answer is where the two densities cross between the two medians: equal odds, no
    parameter. None when either sample has fewer than :data:`MIN_PAIRS_FOR_BOUND` pairs or
    the two do not separate.
    """
    from scipy.stats import norm

    if min(len(same), len(apart)) < MIN_PAIRS_FOR_BOUND:
        return None
    (m_same, s_same), (m_apart, s_apart) = robust_gaussian(same), robust_gaussian(apart)
    s_same, s_apart = max(s_same, 1e-6), max(s_apart, 1e-6)
    if m_same >= m_apart:
        return None
    grid = np.linspace(m_same, m_apart, 4097)  # the crossing, to 1/4096 of the gap
    likelier = norm.logpdf(grid, m_apart, s_apart) > norm.logpdf(grid, m_same, s_same)
    return float(grid[np.argmax(likelier)]) if likelier.any() else None


def bound_apart(a: np.ndarray, b: np.ndarray, distances: np.ndarray, labels: np.ndarray,
                n: int) -> float | None:
    """:func:`impostor_bound` of the sampled pairs ``(a, b)`` that ``labels`` (over ``n``
    items) puts in different clusters: the pairs a clustering calls different people."""
    apart = labels[a] != labels[b]
    scale = n * (n - 1) / 2 / max(len(a), 1)  # sampled pairs -> all pairs
    return impostor_bound(distances[apart], int(round(apart.sum() * scale)))


def self_consistent_bound(a: np.ndarray, b: np.ndarray, distances: np.ndarray, n: int,
                          cluster) -> tuple[float | None, np.ndarray | None]:
    """The impostor bound refitted on the pairs that the clustering keeps apart.

    Two steps: :func:`far_side_bound` of all pairs (robust to any share of same-person
    pairs) drives a first clustering; the pairs it puts in different clusters are then
    nearly all impostors, so :func:`impostor_bound` (the full, lower-variance fit) is
    refitted on them alone and drives the final clustering. One refinement, not a loop:
    iterating lets a bound that drops a little keep more same-person pairs apart, which drops
    it further.

    Args:
        a, b (np.ndarray): A sample of item pairs (``a < b``) and ``distances`` theirs.
        n (int): Number of items (the sample may be a subset of the ``n (n-1) / 2`` pairs).
        cluster (callable): ``bound -> labels (n,)``.

    Returns:
        tuple: ``(bound, labels)``; ``(None, None)`` when too few pairs to fit a bound.
    """
    scale = n * (n - 1) / 2 / max(len(a), 1)  # sampled pairs -> all pairs
    seed = far_side_bound(distances, int(round(len(a) * scale)))
    if seed is None:
        return None, None
    labels = cluster(seed)
    bound = bound_apart(a, b, distances, labels, n)
    if bound is None:
        return seed, labels
    return bound, cluster(bound)


def sample_pairs(n: int, max_pairs: int = 200_000, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``a < b`` of ``n`` items, or ``max_pairs`` random distinct ones."""
    if n * (n - 1) // 2 <= max_pairs:
        return np.triu_indices(n, 1)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(n, size=max_pairs), rng.integers(n, size=max_pairs)
    keep = a != b
    return np.minimum(a, b)[keep], np.maximum(a, b)[keep]
