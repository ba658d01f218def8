"""Coarse track matching: cross-shot positive pairs for fine-tuning.

:func:`match_tracks` is VideoClusterNet's rule (``method="gaussian"`` in a config);
:func:`match_by_clustering` is a project alternative (``method="parameter_free"``).

Each track gets a Gaussian ``N(mu_t, Sigma_t)`` fitted to its face embeddings and an
adaptive threshold ``tau_t``: the mean of the lowest 25 % of the log-densities of its own
faces (its "outlier" faces). Track ``u`` matches ``t`` when the density of ``u``'s mean under
``t``'s Gaussian reaches ``tau_t``. Matches are only used to sample positive pairs.

Rules the paper leaves open, chosen here (project defaults):

- Everything is in **log density** (a pdf in tens of dimensions underflows), so ``tau_t`` is
  the mean of the lowest log-densities (a geometric mean of densities).
- Embeddings are first reduced by a PCA fitted on all faces of the collection to
  ``pca_dim`` (32) dimensions: most tracks have fewer faces than the embedding has
  dimensions.
- ``Sigma_t`` is the Ledoit-Wolf shrunk covariance plus ``eps`` times the mean variance of
  the whole collection, so one-face and static tracks still have an invertible covariance.
- A match in **either** direction counts (``mutual=True`` asks for both); matches are then
  grouped transitively, but never across a cannot-link (tracks sharing a frame).
"""
from __future__ import annotations

import numpy as np

from ..clustering.common import CannotLink, constrained_components


def fit_pca(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and ``(D, k)`` projection of the top ``k = min(dim, D, N - 1)`` components."""
    mean = x.mean(0)
    k = max(1, min(dim, x.shape[1], len(x) - 1))
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:k].T


class TrackGaussians:
    """One regularised Gaussian per track, evaluated in log density.

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, d)`` embeddings (already projected).
        eps (float): Ridge added to every covariance, as a fraction of the collection's mean
            per-dimension variance. Defaults to 1e-2.
    """

    def __init__(self, faces: list[np.ndarray], eps: float = 1e-2) -> None:
        from sklearn.covariance import ledoit_wolf

        allx = np.concatenate(faces)
        d = allx.shape[1]
        ridge = eps * max(float(allx.var(0).mean()), 1e-12)
        self.means = np.stack([f.mean(0) for f in faces])
        self.chol = []  # lower Cholesky factor of each covariance
        self.logdet = np.empty(len(faces))
        for i, f in enumerate(faces):
            cov = ledoit_wolf(f)[0] if len(f) > 1 else np.zeros((d, d))
            chol = np.linalg.cholesky(cov + ridge * np.eye(d))
            self.chol.append(chol)
            self.logdet[i] = 2.0 * np.log(np.diag(chol)).sum()
        self.dim = d

    def log_density(self, t: int, x: np.ndarray) -> np.ndarray:
        """``log N(x; mu_t, Sigma_t)`` for each row of ``x``."""
        from scipy.linalg import solve_triangular

        z = solve_triangular(self.chol[t], (x - self.means[t]).T, lower=True)
        return -0.5 * ((z ** 2).sum(0) + self.logdet[t] + self.dim * np.log(2 * np.pi))


def outlier_threshold(log_densities: np.ndarray, fraction: float = 0.25) -> float:
    """Mean of the lowest ``fraction`` of a track's own log-densities (at least one)."""
    k = max(1, int(np.ceil(fraction * len(log_densities))))
    return float(np.sort(log_densities)[:k].mean())


def match_tracks(faces: list[np.ndarray], cannot_link=None, fraction: float = 0.25,
                 pca_dim: int | None = 32, eps: float = 1e-2,
                 mutual: bool = False) -> np.ndarray:
    """Group tracks whose means fall inside each other's Gaussians (see module doc).

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, D)`` face embeddings.
        cannot_link (optional): ``(a, b)`` track pairs never matched (shared frames).
        fraction (float): Share of a track's lowest own densities averaged into its
            threshold. Defaults to 0.25 (the paper's value).
        pca_dim (int, optional): PCA dimensions; None keeps the embedding as is.
            Defaults to 32.
        eps (float): Covariance ridge (see :class:`TrackGaussians`). Defaults to 1e-2.
        mutual (bool): Require the match in both directions. Defaults to False.

    Returns:
        np.ndarray: ``(N,)`` group labels ``0..G-1``; tracks without a match are alone.
    """
    n = len(faces)
    if n == 0:
        return np.zeros(0, np.int64)
    faces = [np.asarray(f, np.float64).reshape(len(f), -1) for f in faces]
    if pca_dim is not None:
        mean, proj = fit_pca(np.concatenate(faces), pca_dim)
        faces = [(f - mean) @ proj for f in faces]
    gauss = TrackGaussians(faces, eps)
    margin = np.empty((n, n))  # margin[t, u] >= 0: the mean of u is inside t's Gaussian
    for t in range(n):
        tau = outlier_threshold(gauss.log_density(t, faces[t]), fraction)
        margin[t] = gauss.log_density(t, gauss.means) - tau
    pair = np.minimum(margin, margin.T) if mutual else np.maximum(margin, margin.T)
    a, b = np.nonzero(np.triu(pair >= 0, 1))
    constraints = CannotLink(cannot_link, n)
    if len(constraints):
        allowed = ~constraints.contains(a, b)
        a, b = a[allowed], b[allowed]
    # most confident links first, so a chain that would join a cannot-link drops its weakest
    order = np.argsort(-pair[a, b], kind="stable")
    return constrained_components(n, a, b, order, constraints)


def match_by_clustering(faces: list[np.ndarray], cannot_link=None, **kwargs) -> np.ndarray:
    """Group tracks as the parameter-free clustering does on the current embeddings
    (project alternative to :func:`match_tracks`).

    The Gaussian rule only fires when another track's mean falls among a track's own
    faces, i.e. for near-duplicate tracks; across shots (another pose, light or photo) the
    margins are hundreds of log-density units short (BENCHMARKS.md). The parameter-free
    clustering links tracks closer than the impostor bound, a rule with few false merges,
    so its groups give cross-shot positives from the first round.

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, D)`` face embeddings.
        cannot_link (optional): Track pairs never grouped.
        **kwargs: Arguments of :func:`fiftyone_plugin.clustering.parameter_free`.
    """
    from ..clustering import cluster

    return cluster(faces, "parameter_free", cannot_link=cannot_link, **kwargs)


MATCHERS = {"gaussian": match_tracks, "parameter_free": match_by_clustering}
