"""DINO projection head (Caron et al., "Emerging Properties in Self-Supervised Vision
Transformers", ICCV 2021, https://arxiv.org/abs/2104.14294), written for this project: the
pip ``mmpretrain`` does not ship one (it lives in its ``projects/dino`` folder only)."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import MODELS


@MODELS.register_module()
class DINOHead(nn.Module):
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
