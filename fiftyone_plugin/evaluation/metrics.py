"""Identity-clustering metrics of the video face clustering literature.

All are computed from the contingency table ``n[k, l]`` (predicted cluster k, true identity
l), optionally weighted: weighting each track by its number of faces turns track-level
scores into frame-level ones. Formulas: ``docs/methods.md`` section 6.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def contingency(y_true, y_pred, weights=None) -> np.ndarray:
    """``(K_pred, K_true)`` table of (weighted) counts."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and equally long, not "
                         f"{y_true.shape} and {y_pred.shape}")
    w = np.ones(len(y_true)) if weights is None else np.asarray(weights, np.float64)
    _, t = np.unique(y_true, return_inverse=True)
    _, p = np.unique(y_pred, return_inverse=True)
    table = np.zeros((p.max() + 1 if len(p) else 0, t.max() + 1 if len(t) else 0))
    np.add.at(table, (p.reshape(-1), t.reshape(-1)), w)
    return table


def weighted_purity(table: np.ndarray) -> float:
    """WCP: each predicted cluster's majority count, summed, over N."""
    return float(table.max(1).sum() / table.sum())


def nmi(table: np.ndarray) -> float:
    """``2 I(Y; C) / (H(Y) + H(C))`` (arithmetic normalisation, as sklearn and BCL)."""
    n = table.sum()
    p = table / n
    pc, py = p.sum(1), p.sum(0)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / np.outer(pc, py)[nz])).sum())
    h = -float((pc[pc > 0] * np.log(pc[pc > 0])).sum() + (py[py > 0] * np.log(py[py > 0])).sum())
    return 1.0 if h <= 0 else max(0.0, 2.0 * mi / h)


def bcubed(table: np.ndarray) -> tuple[float, float, float]:
    """BCubed precision, recall and F (Amigo et al.)."""
    n = table.sum()
    p = float((table ** 2 / table.sum(1, keepdims=True)).sum() / n)
    r = float((table ** 2 / table.sum(0, keepdims=True)).sum() / n)
    return p, r, _f(p, r)


def pairwise(table: np.ndarray) -> tuple[float, float, float]:
    """Pairwise precision, recall and F over unordered pairs (1.0 when there is no pair)."""
    def pairs(x):
        return float((x * (x - 1) / 2).sum())

    tp = pairs(table)
    pred, true = pairs(table.sum(1)), pairs(table.sum(0))
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return p, r, _f(p, r)


def hungarian_accuracy(table: np.ndarray) -> float:
    """Accuracy under the best one-to-one map of clusters to identities."""
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def _f(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def clustering_metrics(y_true, y_pred, weights=None) -> dict[str, float]:
    """Every metric at once.

    Args:
        y_true: True identity per item.
        y_pred: Predicted cluster per item.
        weights (optional): Per-item weight (e.g. faces per track for frame-level scores).

    Returns:
        dict: ``wcp, nmi, bcubed_precision, bcubed_recall, bcubed_f, pairwise_precision,
        pairwise_recall, pairwise_f, hungarian_accuracy, num_predicted, num_true,
        cluster_count_diff`` (|K_pred - K_true|), ``cluster_count_ratio`` (K_pred / K_true)
        and ``num_items``.
    """
    table = contingency(y_true, y_pred, weights)
    if table.sum() <= 0:
        raise ValueError("nothing to evaluate: no item with a positive weight")
    bp, br, bf = bcubed(table)
    pp, pr, pf = pairwise(table)
    kp, kt = int((table.sum(1) > 0).sum()), int((table.sum(0) > 0).sum())
    return dict(wcp=weighted_purity(table), nmi=nmi(table), bcubed_precision=bp,
                bcubed_recall=br, bcubed_f=bf, pairwise_precision=pp, pairwise_recall=pr,
                pairwise_f=pf, hungarian_accuracy=hungarian_accuracy(table),
                num_predicted=kp, num_true=kt, cluster_count_diff=abs(kp - kt),
                cluster_count_ratio=kp / kt, num_items=len(np.asarray(y_true)))


def best_map(y_true, y_pred) -> dict:
    """The one-to-one cluster -> identity map that Hungarian accuracy uses."""
    t_names, t = np.unique(np.asarray(y_true, dtype=object).astype(str), return_inverse=True)
    p_names, p = np.unique(np.asarray(y_pred, dtype=object).astype(str), return_inverse=True)
    table = np.zeros((len(p_names), len(t_names)))
    np.add.at(table, (p.reshape(-1), t.reshape(-1)), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return {p_names[r]: t_names[c] for r, c in zip(rows, cols) if table[r, c] > 0}
