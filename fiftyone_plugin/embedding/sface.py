"""SFace face-recognition network (MobileFaceNet-style, 128-D) in PyTorch.

SFace (Zhong et al., "SFace: Sigmoid-Constrained Hypersphere Loss for Robust Face
Recognition", TIP 2021) as released in OpenCV Zoo (``face_recognition_sface_2021dec``,
Apache-2.0). The graph is a plain depthwise-separable stack: 27 conv + BN + PReLU units,
a BN on the 7x7x1024 map, FC 50176 -> 128 and a BN on the embedding. Layer names follow
the ONNX initializers (``conv_2_dw`` ...), so the weights convert by renaming only
(:func:`fiftyone_plugin.weights.convert_sface`).

Input: aligned 112x112 **RGB** crops with values in 0..255 (NCHW float); the network does
its own ``(x - 127.5) / 128``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..registry import MODELS

# (name, out_channels, stride, depthwise) in forward order; in_channels follow the chain.
SFACE_LAYERS: tuple[tuple[str, int, int, bool], ...] = (
    ("conv_1", 32, 1, False), ("conv_2_dw", 32, 1, True), ("conv_2", 64, 1, False),
    ("conv_3_dw", 64, 2, True), ("conv_3", 128, 1, False),
    ("conv_4_dw", 128, 1, True), ("conv_4", 128, 1, False),
    ("conv_5_dw", 128, 2, True), ("conv_5", 256, 1, False),
    ("conv_6_dw", 256, 1, True), ("conv_6", 256, 1, False),
    ("conv_7_dw", 256, 2, True), ("conv_7", 512, 1, False),
    *((name, 512, 1, dw) for i in range(8, 13)
      for name, dw in ((f"conv_{i}_dw", True), (f"conv_{i}", False))),
    ("conv_13_dw", 512, 2, True), ("conv_13", 1024, 1, False),
    ("conv_14_dw", 1024, 1, True), ("conv_14", 1024, 1, False),
)


class ConvBNPReLU(nn.Module):
    """Conv (no bias) + BatchNorm (eps 1e-3) + per-channel PReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 depthwise: bool) -> None:
        super().__init__()
        k = 3 if depthwise or in_channels == 3 else 1
        groups = in_channels if depthwise else 1
        self.conv = nn.Conv2d(in_channels, out_channels, k, stride=stride, padding=k // 2,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3)
        self.prelu = nn.PReLU(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.prelu(self.bn(self.conv(x)))


@MODELS.register_module()
class SFace(nn.Module):
    """SFace 2021dec: 112x112 RGB face crop (0..255) -> 128-D embedding (not normalised).

    Args:
        embedding_dim (int): Output dimension. Defaults to 128.
    """

    input_size = (112, 112)
    channel_order = "rgb"
    verification_threshold = 0.363  # OpenCV Zoo's cosine same-person threshold

    def __init__(self, embedding_dim: int = 128) -> None:
        super().__init__()
        cin = 3
        self.layer_names = []
        for name, cout, stride, dw in SFACE_LAYERS:
            self.add_module(name, ConvBNPReLU(cin, cout, stride, dw))
            self.layer_names.append(name)
            cin = cout
        self.bn1 = nn.BatchNorm2d(cin, eps=2e-5)
        self.dropout = nn.Dropout(0.4)
        self.pre_fc1 = nn.Linear(cin * 7 * 7, embedding_dim)
        self.fc1 = nn.BatchNorm1d(embedding_dim, eps=2e-5)
        self.embedding_dim = embedding_dim

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_tail(self.forward_trunk(x, 0), 0)

    def forward_trunk(self, x: Tensor, num_layers: int) -> Tensor:
        """Input normalisation and the first ``num_layers`` conv units. With
        :meth:`forward_tail` this lets a fine-tuning run a frozen trunk once per input."""
        x = (x - 127.5) * 0.0078125
        for name in self.layer_names[:num_layers]:
            x = getattr(self, name)(x)
        return x

    def forward_tail(self, x: Tensor, num_layers: int) -> Tensor:
        """The conv units after the first ``num_layers``, then the embedding layers."""
        for name in self.layer_names[num_layers:]:
            x = getattr(self, name)(x)
        x = self.dropout(self.bn1(x))
        return self.fc1(self.pre_fc1(torch.flatten(x, 1)))
