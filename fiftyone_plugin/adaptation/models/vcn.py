"""VideoClusterNet's self-supervised student/teacher adaptation (stage 2).

D. Walawalkar and P. Garrido, "VideoClusterNet: Self-Supervised and Adaptive Face
Clustering for Videos", ECCV 2024, https://arxiv.org/abs/2407.12214.

A pretrained face-ID backbone plus a randomly initialised DINO projection (the neck) form
the student; the teacher is an exponential moving average of the student, kept inside the model (the
mmpretrain BYOL/MoCoV3 pattern) and saved with it. Two faces of a positive pair (the same
track, or coarsely matched tracks) go through both; the loss is DINO's cross-entropy between
the centred, sharpened teacher distribution of one face and the student distribution of the
other, both ways (:class:`~.dino.DINOHead`, which keeps the centre). There are no
negatives.
"""
from __future__ import annotations

from pathlib import Path

import torch
from mmengine.model import ExponentialMovingAverage
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import MODELS, build_model
from .base import SelfSupervisedModel


class FaceNet(nn.Module):
    """Backbone -> unit embedding -> neck (logits). The embedding is normalised before the
    neck, so a stored unit embedding is all the neck needs later (stage-3 distance).

    With ``frozen_layers`` the backbone's first layers form a trunk that never trains
    (:meth:`trunk` runs it without autograd); the backbone must then offer
    ``forward_trunk(x, n)`` and ``forward_tail(x, n)`` (as ``SFace`` does).
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module, frozen_layers: int = 0) -> None:
        super().__init__()
        if frozen_layers and not hasattr(backbone, "forward_trunk"):
            raise ValueError(f"{type(backbone).__name__} cannot freeze its first layers "
                             "(no forward_trunk/forward_tail): set frozen_layers=0")
        self.backbone = backbone
        self.neck = neck
        self.frozen_layers = frozen_layers

    def trunk(self, x: Tensor) -> Tensor:
        x = x.float().contiguous(memory_format=torch.channels_last)
        if not self.frozen_layers:
            return x
        with torch.no_grad():
            return self.backbone.forward_trunk(x, self.frozen_layers)

    def from_trunk(self, features: Tensor) -> Tensor:
        if self.frozen_layers:
            emb = self.backbone.forward_tail(features, self.frozen_layers)
        else:
            emb = self.backbone(features)
        return self.neck(F.normalize(emb, dim=-1))

    def set_trainable(self, backbone: bool) -> None:
        self.backbone.requires_grad_(backbone)
        for name in getattr(self.backbone, "layer_names", [])[:self.frozen_layers]:
            getattr(self.backbone, name).requires_grad_(False)

    def embed(self, x: Tensor) -> Tensor:
        x = x.float().contiguous(memory_format=torch.channels_last)
        return F.normalize(self.backbone(x), dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        return self.from_trunk(self.trunk(x))


def _load_pretrained(module: nn.Module, pretrained: str) -> None:
    """A file path, or the name of converted weights (``vfc weights fetch``)."""
    if Path(pretrained).is_file():
        state = torch.load(pretrained, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
    else:
        from ... import weights

        state = weights.load_state_dict(pretrained)
    module.load_state_dict(state)


@MODELS.register_module()
class VideoClusterNet(SelfSupervisedModel):
    """Student/teacher self-distillation on a video's own face tracks.

    Args:
        backbone (dict): Face-ID backbone config (e.g. ``dict(type='SFace')``).
        neck (dict): Projection to logits (e.g. ``dict(type='DINONeck', ...)``).
        head (dict): The loss and its state (``dict(type='DINOHead', ...)``); its
            ``out_channels`` come from the neck.
        pretrained (str, optional): Backbone weights: a state-dict file or the name of
            converted weights (``'sface'``). None keeps the random init. Defaults to
            ``'sface'``.
        ema_momentum (float): Weight of the *student* in each teacher update, mmengine's
            convention (``teacher = (1 - m) * teacher + m * student``): 0.004 is DINO's
            teacher momentum 0.996. Defaults to 0.004.
        backbone_eval (bool): Keep the backbone's BatchNorm statistics and dropout in eval
            mode while its weights train (small per-video batches would corrupt them).
            Defaults to True.
        frozen_layers (int): First backbone layers that never train. Their output is
            computed once per face and shared by student and teacher (identical there),
            which makes CPU adaptation several times cheaper. 0 fine-tunes the whole
            backbone, as the paper does. Defaults to 0.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``BaseDataPreprocessor`` (moves the uint8 crops to the device).
        init_cfg (dict, optional): Weight initialisation config.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict | None = None,
                 pretrained: str | None = "sface", ema_momentum: float = 0.004,
                 backbone_eval: bool = True, frozen_layers: int = 0,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        backbone = build_model(backbone) if isinstance(backbone, dict) else backbone
        if pretrained:
            _load_pretrained(backbone, pretrained)
        neck = build_model(neck) if isinstance(neck, dict) else neck
        self.student = FaceNet(backbone, neck, frozen_layers).to(
            memory_format=torch.channels_last)  # about 2x faster convolutions on CPU
        self.student.set_trainable(True)
        # built after the weights are loaded: the teacher starts as a copy of the student
        self.teacher = ExponentialMovingAverage(self.student, momentum=ema_momentum)
        self.head = build_model(dict(dict(type="DINOHead"), **(head or {}),
                                     out_channels=neck.out_channels))
        self.backbone_eval = backbone_eval

    def set_backbone_trainable(self, trainable: bool) -> None:
        """Head-only warm-up (False), then joint fine-tuning (True)."""
        self.student.set_trainable(trainable)

    def train(self, mode: bool = True) -> "VideoClusterNet":
        super().train(mode)
        self.teacher.eval()  # the teacher never trains: EMA only
        if mode and self.backbone_eval:
            self.student.backbone.eval()
        return self

    @torch.no_grad()
    def embed(self, crops: Tensor, batch_size: int = 256) -> Tensor:
        """Unit embeddings of ``(N, 3, H, W)`` crops by the teacher's backbone (the adapted
        model DINO evaluates with)."""
        net = self.teacher.module
        was_training = net.training
        net.eval()
        device = self.head.center.device
        out = [net.embed(crops[i:i + batch_size].to(device))
               for i in range(0, len(crops), batch_size)]
        net.train(was_training)
        return torch.cat(out) if out else crops.new_zeros((0, 0), dtype=torch.float32)

    def loss(self, inputs: list[Tensor]) -> dict[str, Tensor]:
        """Symmetric VCN loss over the two views (``inputs = [faces_a, faces_b]``)."""
        # the frozen trunk is the same in student and teacher: run it once per view
        f_a, f_b = self.student.trunk(inputs[0]), self.student.trunk(inputs[1])
        student = self.student.from_trunk(f_a), self.student.from_trunk(f_b)
        with torch.no_grad():
            self.teacher.update_parameters(self.student)
            teacher = self.teacher.module
            teacher_logits = teacher.from_trunk(f_a), teacher.from_trunk(f_b)
        return dict(loss=self.head.loss(student, teacher_logits))
