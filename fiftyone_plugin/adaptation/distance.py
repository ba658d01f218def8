"""VideoClusterNet's stage-3 distance: the trained loss between the faces of two tracks.

For faces ``i`` of group A and ``j`` of group B the loss is
``-p_i . l_j`` with ``p`` the teacher distribution (centred, sharpened) and ``l`` the
student log-distribution of the adapted neck and head. It is bilinear, so the mean over all face
pairs is ``-mean(p_A) . mean(l_B)`` and merged groups are exact sums, as for cosine. The
loss is asymmetric: both directions are averaged. The paper evaluates the teacher side with
the teacher network and the other side with the student; here both come from the adapted
teacher (what DINO keeps), with the teacher and student temperatures (project choice).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..clustering.common import group_sums, top_k_similar, unit
from ..clustering.parameter_free import GroupDistance


@dataclass
class LossGroups:
    p: np.ndarray  # (G, K) sum of teacher distributions
    logq: np.ndarray  # (G, K) sum of student log-distributions
    self_loss: np.ndarray  # (G,) sum over faces of p_i . l_i (left out of within)
    emb: np.ndarray  # (G, D) sum of unit embeddings (candidate search)
    counts: np.ndarray  # (G,)


class LossDistance(GroupDistance):
    """Symmetrised VCN loss between groups of faces, from the adapted neck and head.

    Args:
        neck (torch.nn.Module): The adapted projection (unit embedding -> logits).
        head (DINOHead): The loss head: centre and temperatures.
        batch_size (int): Faces per forward. Defaults to 4096.
    """

    def __init__(self, neck: torch.nn.Module, head, batch_size: int = 4096) -> None:
        self.neck = neck.eval()
        self.head = head.eval()
        self.batch_size = batch_size

    @classmethod
    def from_file(cls, path: str) -> "LossDistance":
        """From the ``head.pth`` an adaptation run wrote."""
        from ..registry import build_model

        saved = torch.load(path, map_location="cpu", weights_only=True)
        if "neck" not in saved:
            raise ValueError(f"{path} comes from an older version of the adaptation: run "
                             "adapt_faces again to use distance='loss'")
        neck, head = build_model(saved["neck"]), build_model(saved["head"])
        neck.load_state_dict(saved["neck_state"])
        head.load_state_dict(saved["head_state"])
        return cls(neck, head)

    @torch.no_grad()
    def distributions(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Teacher distributions and student log-distributions of unit embeddings."""
        p, logq = [], []
        for i in range(0, len(faces), self.batch_size):
            z = self.neck(torch.from_numpy(np.ascontiguousarray(
                faces[i:i + self.batch_size], np.float32)))
            p.append(self.head.teacher_probs(z))
            logq.append(self.head.student_log_probs(z))
        return torch.cat(p).numpy(), torch.cat(logq).numpy()

    def init(self, faces):
        sizes = [len(f) for f in faces]
        allf = unit(np.concatenate(faces).astype(np.float32))
        p, logq = self.distributions(allf)
        owner = np.repeat(np.arange(len(faces)), sizes)
        return LossGroups(group_sums(p, owner, len(faces)), group_sums(logq, owner, len(faces)),
                          np.bincount(owner, (p * logq).sum(1), len(faces)),
                          group_sums(allf, owner, len(faces)), np.asarray(sizes, np.float64))

    def within(self, groups):
        n = groups.counts
        cross = np.einsum("ij,ij->i", groups.p, groups.logq) - groups.self_loss
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 1, -cross / (n * (n - 1)), np.nan)

    def between(self, groups, a, b, chunk: int = 4096):
        n = groups.counts[:, None]
        out = np.empty(len(a), np.float64)
        for s in range(0, len(a), chunk):
            x, y = a[s:s + chunk], b[s:s + chunk]
            ab = np.einsum("ij,ij->i", groups.p[x] / n[x], groups.logq[y] / n[y])
            ba = np.einsum("ij,ij->i", groups.p[y] / n[y], groups.logq[x] / n[x])
            out[s:s + chunk] = -0.5 * (ab + ba)
        return out

    def neighbours(self, groups, k, max_distance):
        # candidates by cosine of the mean embeddings; the loss decides among them
        idx, _ = top_k_similar(unit(groups.emb.astype(np.float32)), k)
        return np.repeat(np.arange(len(idx)), idx.shape[1]), idx.reshape(-1)

    def merge(self, groups, labels):
        g = int(labels.max()) + 1
        return LossGroups(group_sums(groups.p, labels, g), group_sums(groups.logq, labels, g),
                          np.bincount(labels, groups.self_loss, g),
                          group_sums(groups.emb, labels, g),
                          np.bincount(labels, groups.counts, g))
