"""Track clustering methods behind one call.

Every method takes tracks (must-links are implicit: a track is one unit) as a list of
``(n, D)`` face-embedding arrays, optional cannot-link track pairs, and returns one label
per track:

=================  =========================================================  ============
method             what                                                       needs
=================  =========================================================  ============
``parameter_free`` VideoClusterNet's per-track adaptive thresholds (default)  nothing
``c1c``            FINCH with cannot-links (C1C-style), automatic partition   nothing
``finch``          plain FINCH, automatic partition or required K             (K)
``hac_k``          Ward HAC on L2-normalised track means, known K             K
``hac_threshold``  average-linkage HAC cut at a cosine distance, cannot-link  threshold
=================  =========================================================  ============
"""
from __future__ import annotations

import numpy as np

from .common import track_means
from .finch import finch
from .hac import threshold_hac, ward_hac
from .parameter_free import CosineDistance, GroupDistance, parameter_free

DEFAULT_METHOD = "parameter_free"
# SFace's published verification threshold (cosine similarity 0.363) as a distance
DEFAULT_HAC_THRESHOLD = 1.0 - 0.363


def _parameter_free(faces, cannot_link=None, fallback=DEFAULT_HAC_THRESHOLD, **kwargs):
    return parameter_free(faces, cannot_link, fallback=fallback, **kwargs)


def _finch(faces, cannot_link=None, n_clusters=None, partition="auto",
           fallback=DEFAULT_HAC_THRESHOLD):
    return finch(faces, None, n_clusters=n_clusters, partition=partition, fallback=fallback)


def _c1c(faces, cannot_link=None, n_clusters=None, partition="auto",
         fallback=DEFAULT_HAC_THRESHOLD):
    return finch(faces, cannot_link, n_clusters=n_clusters, partition=partition,
                 fallback=fallback)


def _hac_k(faces, cannot_link=None, n_clusters=None):
    if n_clusters is None:
        raise ValueError("method 'hac_k' needs n_clusters (the known number of identities)")
    return ward_hac(track_means(faces), n_clusters)


def _hac_threshold(faces, cannot_link=None, threshold=DEFAULT_HAC_THRESHOLD,
                   linkage="average"):
    return threshold_hac(track_means(faces), threshold, cannot_link, method=linkage)


METHODS = {
    "parameter_free": _parameter_free,
    "c1c": _c1c,
    "finch": _finch,
    "hac_k": _hac_k,
    "hac_threshold": _hac_threshold,
}


def cluster(faces: list[np.ndarray], method: str = DEFAULT_METHOD, cannot_link=None,
            **kwargs) -> np.ndarray:
    """Cluster tracks with a named method.

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, D)`` face embeddings.
        method (str): A key of :data:`METHODS`. Defaults to ``"parameter_free"``.
        cannot_link (optional): ``(a, b)`` track pairs that must stay apart.
        **kwargs: The method's own arguments (``n_clusters``, ``threshold``, ...).

    Returns:
        np.ndarray: ``(N,)`` labels ``0..K-1``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; choose from {sorted(METHODS)}")
    if any(len(f) == 0 for f in faces):
        raise ValueError("every track needs at least one face embedding")
    return METHODS[method](faces, cannot_link=cannot_link, **kwargs)


__all__ = ["DEFAULT_METHOD", "METHODS", "CosineDistance", "GroupDistance", "cluster",
           "finch", "parameter_free", "threshold_hac", "ward_hac"]
