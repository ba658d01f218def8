"""Questions worth a user's answer: the pairs of identities the clustering was least sure to
keep apart. No FiftyOne here.

Two identities are a candidate when no frame shows both (tracks sharing a frame are two
people for sure). They are ranked by the cosine distance between their mean embeddings,
closest first: the pairs nearest the clustering's decision to keep them apart. An answer
"same" becomes a must-link, "not the same" cannot-links, and the next clustering honours
both (:mod:`.corrections`).
"""
from __future__ import annotations

import numpy as np

from .common import unit


def uncertain_pairs(faces: list[np.ndarray], labels: np.ndarray,
                    cannot_link: list[tuple[int, int]] = (), answered: set = frozenset(),
                    k: int = 10) -> list[tuple[int, int, float]]:
    """The ``k`` pairs of identities ``(a, b, distance)``, ``a < b``, nearest to each other.

    Args:
        faces (list[np.ndarray]): Per track, its faces' embeddings.
        labels (np.ndarray): Per track, its identity (``-1``: none).
        cannot_link (list[tuple[int, int]]): Track pairs that share a frame.
        answered (set): Identity pairs ``(a, b)`` already asked.
        k (int): How many. Defaults to 10.
    """
    labels = np.asarray(labels)
    ids = sorted({int(c) for c in labels if c >= 0})
    if len(ids) < 2:
        return []
    pos = {c: i for i, c in enumerate(ids)}
    means = np.stack([unit(np.concatenate([unit(f) for f, c in zip(faces, labels) if c == i])
                           .mean(0, keepdims=True))[0] for i in ids])
    dist = 1.0 - means @ means.T
    for a, b in cannot_link:
        la, lb = labels[a], labels[b]
        if la >= 0 and lb >= 0:
            dist[pos[la], pos[lb]] = dist[pos[lb], pos[la]] = np.inf
    pairs = [(ids[i], ids[j], float(dist[i, j])) for i in range(len(ids))
             for j in range(i + 1, len(ids)) if np.isfinite(dist[i, j])
             and (ids[i], ids[j]) not in answered]
    return sorted(pairs, key=lambda p: p[2])[:k]
