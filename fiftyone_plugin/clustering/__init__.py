"""Track clustering methods behind one call.

Every method takes tracks (must-links are implicit: a track is one unit) as a list of
``(n, D)`` face-embedding arrays, optional cannot-link track pairs, and returns one label
per track. The algorithms live in this package's modules; each method is a config class in
:mod:`.methods` (one file each) whose fields are its parameters:

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

from .finch import finch
from .hac import threshold_hac, ward_hac
from .methods import (DEFAULT_HAC_THRESHOLD, DEFAULT_METHOD, ClusteringMethod, make_method,
                      method_names)
from .parameter_free import CosineDistance, GroupDistance, parameter_free


def cluster(faces: list[np.ndarray], method: str | ClusteringMethod = DEFAULT_METHOD,
            cannot_link=None, **kwargs) -> np.ndarray:
    """Cluster tracks with a named method (or a built one).

    Args:
        faces (list[np.ndarray]): Per track, its ``(n, D)`` face embeddings.
        method (str | ClusteringMethod): A registered method name (:func:`method_names`)
            or a method config. Defaults to ``"parameter_free"``.
        cannot_link (optional): ``(a, b)`` track pairs that must stay apart.
        **kwargs: The method's own parameters (``n_clusters``, ``threshold``, ...), with a
            name only.

    Returns:
        np.ndarray: ``(N,)`` labels ``0..K-1``.
    """
    if isinstance(method, str):
        method = make_method(method, **kwargs)
    elif kwargs:
        raise ValueError("pass parameters either to the method config or here, not both")
    if any(len(f) == 0 for f in faces):
        raise ValueError("every track needs at least one face embedding")
    return method(faces, cannot_link=cannot_link)


__all__ = ["DEFAULT_HAC_THRESHOLD", "DEFAULT_METHOD", "ClusteringMethod", "CosineDistance",
           "GroupDistance", "cluster", "finch", "make_method", "method_names", "parameter_free",
           "threshold_hac", "ward_hac"]
