"""DINO's projection neck and loss head (Caron et al., "Emerging Properties in
Self-Supervised Vision Transformers", ICCV 2021, https://arxiv.org/abs/2104.14294), written
for this project: the pip ``mmpretrain`` does not ship them (they live in its
``projects/dino`` folder only). As there, the neck maps embeddings to logits and the head
owns the loss and its state: the running centre of the teacher's logits and both
temperatures."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import MODELS


@MODELS.register_module()
class DINONeck(nn.Module):
    """MLP -> L2-normalised bottleneck -> weight-normalised linear layer to ``out_dim`` logits.

    The last layer's rows are unit vectors (DINO's weight norm with the gain fixed at 1), so
    the logits are cosine similarities to ``out_dim`` learned prototypes.

    Args:
        in_channels (int): Embedding size of the backbone. Defaults to 128 (SFace).
        hidden_channels (int): Width of the hidden layers. Defaults to 2048.
        bottleneck_channels (int): Size of the normalised bottleneck. Defaults to 256.
        out_channels (int): Number of prototypes K. Defaults to 4096.
        num_layers (int): MLP layers before the bottleneck output. Defaults to 3.
    """

    def __init__(self, in_channels: int = 128, hidden_channels: int = 2048,
                 bottleneck_channels: int = 256, out_channels: int = 4096,
                 num_layers: int = 3) -> None:
        super().__init__()
        dims = [in_channels] + [hidden_channels] * (num_layers - 1) + [bottleneck_channels]
        layers: list[nn.Module] = []
        for i in range(num_layers):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < num_layers - 1:
                layers.append(nn.GELU())
        self.mlp = nn.Sequential(*layers)
        self.prototypes = nn.Parameter(torch.empty(out_channels, bottleneck_channels))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.prototypes, std=0.02)
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> Tensor:
        z = F.normalize(self.mlp(x), dim=-1)
        return F.linear(z, F.normalize(self.prototypes, dim=-1))


@MODELS.register_module()
class DINOHead(nn.Module):
    """The self-distillation loss and its state.

    Teacher logits are centred by a running mean and sharpened by ``teacher_temp``; the
    loss of a (teacher, student) pair of faces is the cross-entropy
    ``-softmax((t - c) / T_t) . log_softmax(s / T_s)``.

    Args:
        out_channels (int): Logits per face (the neck's prototypes).
        student_temp (float): Student softmax temperature. Defaults to 0.1.
        teacher_temp (float): Teacher softmax temperature (sharpening). Defaults to 0.04.
        center_momentum (float): Momentum of the running centre. Defaults to 0.9.
    """

    def __init__(self, out_channels: int, student_temp: float = 0.1,
                 teacher_temp: float = 0.04, center_momentum: float = 0.9) -> None:
        super().__init__()
        self.student_temp = student_temp
        self.teacher_temp = teacher_temp
        self.center_momentum = center_momentum
        self.register_buffer("center", torch.zeros(1, out_channels))

    def teacher_probs(self, logits: Tensor) -> Tensor:
        return F.softmax((logits - self.center) / self.teacher_temp, dim=-1)

    def student_log_probs(self, logits: Tensor) -> Tensor:
        return F.log_softmax(logits / self.student_temp, dim=-1)

    def loss(self, student: tuple[Tensor, Tensor], teacher: tuple[Tensor, Tensor]) -> Tensor:
        """Symmetric loss of two views: teacher of view a against student of view b and
        the other way round; then the centre moves towards these teacher logits."""
        loss = 0.5 * sum(-(self.teacher_probs(t) * self.student_log_probs(s)).sum(-1).mean()
                         for t, s in ((teacher[0], student[1]), (teacher[1], student[0])))
        self.update_center(torch.cat(teacher))
        return loss

    @torch.no_grad()
    def update_center(self, teacher_logits: Tensor) -> None:
        from mmengine.dist import all_reduce, get_world_size

        mean = teacher_logits.sum(0, keepdim=True)
        all_reduce(mean)  # a no-op outside distributed training
        mean = mean / (len(teacher_logits) * get_world_size())
        self.center.mul_(self.center_momentum).add_(mean, alpha=1 - self.center_momentum)
