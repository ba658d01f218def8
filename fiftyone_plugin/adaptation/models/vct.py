"""VCT-style track transformer: one representation per face track (project defaults).

The VCT paper (self-supervised video-centralised transformer; BBT, EasyCom-Clustering)
released no code and leaves depth, widths, sequence length, token design and the loss
formulas unstated. Everything numeric here is a **project choice** after
``docs/methods.md`` section 5, not the paper's: a frozen face model's frame embeddings go
through a linear projection, a learnable video token, learned temporal position embeddings
and a pre-LayerNorm transformer encoder; a 2-layer projection head maps tokens to the
contrastive space. Objectives (``objective=``), the paper's ablation rows:

- ``"video_centralised"`` (VC-TRSF): the video token of two temporal views of a track are
  positives, every other track of the batch a negative (co-occurring tracks are in the
  same batch when training per video); plus video-to-frame InfoNCE, pulling the frame
  tokens of a track towards its video token and away from other tracks' frames.
- ``"clip_centralised"`` (CT-TRSF): no video token; the mean of a clip's frame tokens is
  the representation, contrasted clip against clip.
- ``"temporal_average"`` (Temp Avg): no learning, the mean of the frame embeddings.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS, build_model
from .base import SelfSupervisedModel

OBJECTIVES = ("video_centralised", "clip_centralised", "temporal_average")


@MODELS.register_module()
class TrackTransformer(BaseModule):
    """Encoder of a track's frame-embedding sequence.

    Args:
        in_channels (int): Frame embedding size (SFace: 128).
        embed_dims (int): Token width. Defaults to 256.
        num_layers (int): Encoder layers. Defaults to 4.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): Feed-forward width over ``embed_dims``. Defaults to 4.
        dropout (float): Dropout in attention and feed-forward. Defaults to 0.1.
        max_len (int): Longest sequence (frames) in one pass; longer tracks are
            chunked by :meth:`VCT.embed_tracks`. Defaults to 64.
        video_token (bool): Prepend the learnable video token. Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, in_channels: int = 128, embed_dims: int = 256, num_layers: int = 4,
                 num_heads: int = 8, mlp_ratio: float = 4.0, dropout: float = 0.1,
                 max_len: int = 64, video_token: bool = True,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.max_len = max_len
        self.proj = nn.Linear(in_channels, embed_dims)
        self.video_token = nn.Parameter(torch.zeros(1, 1, embed_dims)) if video_token else None
        self.pos_embed = nn.Parameter(torch.zeros(1, max_len, embed_dims))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        if self.video_token is not None:
            nn.init.trunc_normal_(self.video_token, std=0.02)
        layer = nn.TransformerEncoderLayer(
            embed_dims, num_heads, int(embed_dims * mlp_ratio), dropout, activation="gelu",
            batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, frames: Tensor, mask: Tensor) -> tuple[Tensor | None, Tensor]:
        """``frames`` (B, T, D), ``mask`` (B, T) True on real frames, T <= ``max_len`` ->
        the video token (B, C) or None, and the frame tokens (B, T, C)."""
        if frames.shape[1] > self.max_len:
            raise ValueError(f"{frames.shape[1]} frames > max_len {self.max_len}: chunk them")
        x = self.proj(frames) + self.pos_embed[:, :frames.shape[1]]
        pad = ~mask
        if self.video_token is not None:
            x = torch.cat([self.video_token.expand(len(x), -1, -1), x], dim=1)
            pad = torch.cat([pad.new_zeros(len(x), 1), pad], dim=1)
        x = self.norm(self.encoder(x, src_key_padding_mask=pad))
        if self.video_token is None:
            return None, x
        return x[:, 0], x[:, 1:]


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean over dim 1 of ``x`` (B, T, C) where ``mask`` (B, T) is True."""
    w = mask.to(x.dtype).unsqueeze(-1)
    return (x * w).sum(1) / w.sum(1).clamp_min(1.0)


def _same_group(group: Tensor | None, n: int, device) -> Tensor:
    eye = torch.eye(n, dtype=torch.bool, device=device)
    return eye if group is None else group[:, None] == group[None, :]


def info_nce(a: Tensor, b: Tensor, temperature: float, group: Tensor | None = None) -> Tensor:
    """Symmetric InfoNCE of two batches of unit vectors: row i of ``a`` and of ``b`` are
    positives, rows of other groups negatives (other rows of the same ``group``: the same
    track drawn twice, or linked tracks, are left out)."""
    logits = a @ b.t() / temperature
    eye = torch.eye(len(a), dtype=torch.bool, device=a.device)
    logits = logits.masked_fill(_same_group(group, len(a), a.device) & ~eye, float("-inf"))
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def video_frame_nce(video: Tensor, frames: Tensor, mask: Tensor, temperature: float,
                    group: Tensor | None = None) -> Tensor:
    """Each video vector (B, C) against every real frame vector (B, T, C) of the batch: the
    frames of its own group are positives (averaged log-likelihood, as SupCon), the others
    negatives."""
    b, t, _ = frames.shape
    logits = video @ frames.reshape(b * t, -1).t() / temperature  # (B, B*T)
    real = mask.reshape(1, b * t).expand(b, -1)
    logits = logits.masked_fill(~real, float("-inf"))
    own = _same_group(group, b, video.device).repeat_interleave(t, dim=1) & real
    log_prob = logits - logits.logsumexp(dim=1, keepdim=True)
    return -(log_prob.masked_fill(~own, 0.0).sum(1) / own.sum(1).clamp_min(1)).mean()


@MODELS.register_module()
class VCT(SelfSupervisedModel):
    """Track-level self-supervised representation learning (VCT-style).

    Args:
        encoder (dict): :class:`TrackTransformer` config (``video_token`` is set from the
            objective).
        head (dict): Projection head: ``dict(hidden_channels=256, out_channels=128)``.
        objective (str): One of :data:`OBJECTIVES`. Defaults to ``"video_centralised"``.
        temperature (float): InfoNCE temperature. Defaults to 0.1.
        frame_weight (float): Weight of the video-to-frame term (video-centralised).
            Defaults to 1.0.
        data_preprocessor (dict, optional): Unused (inputs are feature tensors).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, encoder: dict, head: dict | None = None,
                 objective: str = "video_centralised", temperature: float = 0.1,
                 frame_weight: float = 1.0, data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
        self.objective = objective
        self.temperature = temperature
        self.frame_weight = frame_weight
        encoder = dict(encoder, type=encoder.get("type", "TrackTransformer"),
                       video_token=objective == "video_centralised")
        self.encoder = build_model(encoder)  # in our scope, whatever is current
        head = dict(dict(hidden_channels=256, out_channels=128), **(head or {}))
        width = self.encoder.norm.normalized_shape[0]
        self.head = nn.Sequential(nn.Linear(width, head["hidden_channels"]), nn.GELU(),
                                  nn.Linear(head["hidden_channels"], head["out_channels"]))

    def project(self, x: Tensor) -> Tensor:
        return F.normalize(self.head(x), dim=-1)

    def represent(self, frames: Tensor, mask: Tensor) -> Tensor:
        """Unit track vectors (B, C') of sequences no longer than ``max_len``."""
        if self.objective == "temporal_average":
            return F.normalize(masked_mean(frames, mask), dim=-1)
        video, tokens = self.encoder(frames, mask)
        if video is None:
            return F.normalize(masked_mean(self.project(tokens), mask), dim=-1)
        return self.project(video)

    @torch.no_grad()
    def embed_tracks(self, tracks: list[Tensor], batch_size: int = 256) -> Tensor:
        """One unit vector per track (any length): chunks of at most ``max_len`` frames,
        in order, each represented, their vectors averaged and re-normalised."""
        if not tracks:
            return torch.zeros(0, 0)
        max_len = self.encoder.max_len
        chunks, owner = [], []
        for i, t in enumerate(tracks):
            for s in range(0, max(len(t), 1), max_len):
                chunks.append(t[s:s + max_len])
                owner.append(i)
        out = []
        for s in range(0, len(chunks), batch_size):
            part = chunks[s:s + batch_size]
            frames = nn.utils.rnn.pad_sequence(part, batch_first=True)
            mask = torch.zeros(frames.shape[:2], dtype=torch.bool, device=frames.device)
            for j, c in enumerate(part):
                mask[j, :len(c)] = True
            out.append(self.represent(frames, mask))
        vectors = torch.cat(out)
        owner_t = torch.tensor(owner, device=vectors.device)
        sums = torch.zeros(len(tracks), vectors.shape[1], device=vectors.device)
        sums.index_add_(0, owner_t, vectors)
        return F.normalize(sums, dim=-1)

    def loss(self, inputs: dict) -> dict[str, Tensor]:
        """Losses of two views ``inputs["views"]`` (B, T, D) x2 of B tracks, with their
        ``masks`` (B, T) x2; items of one ``group`` (B,) are not negatives of each other (a
        track drawn twice; linked tracks)."""
        if self.objective == "temporal_average":
            raise ValueError("objective 'temporal_average' has nothing to train")
        (f1, f2), (m1, m2), tau = inputs["views"], inputs["masks"], self.temperature
        group = inputs.get("group")
        if self.objective == "clip_centralised":
            z1, z2 = self.represent(f1, m1), self.represent(f2, m2)
            return dict(loss_clip=info_nce(z1, z2, tau, group))
        v1, t1 = self.encoder(f1, m1)
        v2, t2 = self.encoder(f2, m2)
        z1, z2 = self.project(v1), self.project(v2)
        losses = dict(loss_video=info_nce(z1, z2, tau, group))
        if self.frame_weight:
            frame = 0.5 * (video_frame_nce(z1, self.project(t1), m1, tau, group)
                           + video_frame_nce(z2, self.project(t2), m2, tau, group))
            losses["loss_frame"] = self.frame_weight * frame
        return losses

    def embed(self, inputs: dict) -> Tensor:
        """Unit track vectors of ``inputs["frames"]`` (B, T, D) with ``mask`` (B, T)."""
        return self.represent(inputs["frames"], inputs["mask"])
