"""Agglomerative clustering of track embeddings with cannot-link constraints."""
from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from .common import CannotLink, relabel

# A distance no linkage can average away: a cluster pair containing a cannot-link pair stays
# above any sensible threshold (for up to ~1e8 track pairs per merge).
_FORBIDDEN = 1e9


def threshold_hac(embeddings: np.ndarray, threshold: float,
                  cannot_link=None,
                  method: str = "average") -> np.ndarray:
    """Cluster unit vectors by cosine distance, cutting the tree at ``threshold``.

    Args:
        embeddings (np.ndarray): ``(N, D)`` L2-normalised track embeddings.
        threshold (float): Merge while the linkage distance is <= this cosine distance.
        cannot_link (optional): ``(a, b)`` row pairs that must stay apart
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
    pairs = CannotLink(cannot_link, n).pairs
    dist[pairs[:, 0], pairs[:, 1]] = dist[pairs[:, 1], pairs[:, 0]] = _FORBIDDEN
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method=method)
    return relabel(fcluster(tree, t=threshold, criterion="distance"))


def ward_hac(embeddings: np.ndarray, n_clusters: int) -> np.ndarray:
    """Known-K baseline of the literature (SSiam, FGG): Ward linkage on L2-normalised
    track means, cut into ``n_clusters``. Holds an N x N distance matrix.

    Args:
        embeddings (np.ndarray): ``(N, D)`` track embeddings.
        n_clusters (int): K.

    Returns:
        np.ndarray: ``(N,)`` labels ``0..K-1``, numbered by first row.
    """
    n = len(embeddings)
    if not 1 <= n_clusters <= max(n, 1):
        raise ValueError(f"n_clusters must be between 1 and the number of tracks ({n}), "
                         f"not {n_clusters}")
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    x = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True).clip(1e-12)
    raw = fcluster(linkage(x.astype(np.float64), method="ward"), t=n_clusters,
                   criterion="maxclust")
    return relabel(raw)
