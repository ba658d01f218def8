"""Agglomerative clustering of track embeddings with cannot-link constraints."""
from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

# A distance no linkage can average away: a cluster pair containing a cannot-link pair stays
# above any sensible threshold (for up to ~1e8 track pairs per merge).
_FORBIDDEN = 1e9


def threshold_hac(embeddings: np.ndarray, threshold: float,
                  cannot_link: set[tuple[int, int]] | None = None,
                  method: str = "average") -> np.ndarray:
    """Cluster unit vectors by cosine distance, cutting the tree at ``threshold``.

    Args:
        embeddings (np.ndarray): ``(N, D)`` L2-normalised track embeddings.
        threshold (float): Merge while the linkage distance is <= this cosine distance.
        cannot_link (set[tuple[int, int]], optional): Row pairs that must stay apart
            (e.g. tracks sharing a frame). Defaults to None.
        method (str): ``"average"`` or ``"complete"`` linkage. Defaults to ``"average"``.

    Returns:
        np.ndarray: ``(N,)`` cluster labels ``0..K-1``, numbered by first row.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if method not in ("average", "complete"):
        raise ValueError(f"linkage {method!r} cannot honour cannot-links; use average/complete")
    dist = np.clip(1.0 - embeddings @ embeddings.T, 0.0, 2.0).astype(np.float64)
    for a, b in cannot_link or ():
        dist[a, b] = dist[b, a] = _FORBIDDEN
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method=method)
    raw = fcluster(tree, t=threshold, criterion="distance")
    _, first = np.unique(raw, return_index=True)
    order = {raw[i]: k for k, i in enumerate(sorted(first))}
    return np.array([order[r] for r in raw], dtype=np.int64)
