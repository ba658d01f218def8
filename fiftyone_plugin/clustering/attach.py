"""Unknown tracks after clustering: attach the confidently close ones to an identity.

Tracks the quality rules leave out (tiny, blurry, low score, too short) are kept out of the
clustering, so a poor face cannot pull two people together (VideoClusterNet leaves
low-quality faces out of the clustering, not out of the result). Afterwards each such track
joins the identity nearest to it when that identity is closer than the collection's impostor
bound (the distance below which fewer than one pair of different people is expected, fitted
on the track pairs the clustering put in different identities) and none of the identity's
tracks shares a frame with it. Otherwise it stays ``unknown``. No parameter.
"""
from __future__ import annotations

import numpy as np

from .common import bound_apart, sample_pairs, track_means
from .parameter_free import CosineDistance


def attach_unknown(faces: list[np.ndarray], labels: np.ndarray, unknown: list[np.ndarray],
                   cannot_link=(), fallback: float | None = None) -> np.ndarray:
    """Identity of each unknown track, or -1.

    Args:
        faces (list[np.ndarray]): Per clustered track, its ``(n, D)`` face embeddings.
        labels (np.ndarray): ``(N,)`` identity of each clustered track.
        unknown (list[np.ndarray]): Per unknown track, its embedded faces (may be empty).
        cannot_link: ``(u, t)`` pairs: unknown track ``u`` shares a frame with clustered
            track ``t``.
        fallback (float, optional): Bound used when too few pairs are apart to fit one (one
            identity, a handful of tracks), e.g. the embedding's verification distance.

    Returns:
        np.ndarray: ``(len(unknown),)`` identity labels, -1 where the track stays unknown.
    """
    out = np.full(len(unknown), -1, np.int64)
    has = [i for i, f in enumerate(unknown) if len(f)]
    if not has or not len(faces):
        return out
    labels = np.asarray(labels, np.int64)
    means = track_means(faces)
    a, b = sample_pairs(len(means))
    bound = bound_apart(a, b, 1.0 - np.einsum("ij,ij->i", means[a], means[b]), labels,
                        len(means))
    bound = fallback if bound is None else bound
    if bound is None:
        return out
    distance = CosineDistance()
    identities = distance.merge(distance.init(faces), labels)
    k = len(identities.counts)
    forbid = np.zeros((len(unknown), k), bool)
    for u, t in cannot_link:
        forbid[u, labels[t]] = True
    tracks = distance.init([unknown[i] for i in has])
    # mean face-pair distance of each unknown track to each identity
    d = 1.0 - (tracks.sums / tracks.counts[:, None]) @ (
        identities.sums / identities.counts[:, None]).T
    d[forbid[has]] = np.inf
    best = d.argmin(1)
    close = d[np.arange(len(has)), best] < bound
    out[np.asarray(has)[close]] = best[close]
    return out
