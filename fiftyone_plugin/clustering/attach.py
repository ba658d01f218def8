"""Unknown tracks after clustering: attach the confidently close ones to an identity.

Tracks the quality rules leave out (tiny, blurry, low score, too short) are kept out of the
clustering, so a poor face cannot pull two people together (VideoClusterNet leaves
low-quality faces out of the clustering, not out of the result). Afterwards each such track
joins the identity of the clustered track nearest to it when that track is closer than the
collection's impostor bound and no track of that identity shares a frame with it; otherwise
it stays ``unknown``. No parameter.

The bound is fitted on the distances between clustered tracks' mean face directions that the
clustering put in different identities: below it, fewer than one pair of different people
is expected among all track pairs. The comparison is therefore the same kind, one track's
mean direction against one other's. An unknown track links to nothing else and no track
joins it, so a nearest-track link cannot chain people together. (Comparing it with a whole
identity's mean face-pair distance, as before, measured something the bound was not fitted
on, and far larger for a person seen in many different photos: on the 20-minute episode
benchmark 7 tracks stayed unknown, 6 of them of the main cast; now 2, one of them the only
track of a guest.)
"""
from __future__ import annotations

import numpy as np

from .common import bound_apart, sample_pairs, track_means


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
    forbid = np.zeros((len(unknown), int(labels.max()) + 1), bool)
    for u, t in cannot_link:
        forbid[u, labels[t]] = True
    # distance of each unknown track to each clustered track, none to a forbidden identity
    d = 1.0 - track_means([unknown[i] for i in has]) @ means.T
    d[forbid[has][:, labels]] = np.inf
    nearest = d.argmin(1)
    close = d[np.arange(len(has)), nearest] < bound
    out[np.asarray(has)[close]] = labels[nearest[close]]
    return out
