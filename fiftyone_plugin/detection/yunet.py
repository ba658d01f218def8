"""YuNet face detector as MMDetection modules.

YuNet (Wu et al., "YuNet: A Tiny Millisecond-level Face Detector", MIR 2023;
https://github.com/ShiqiYu/libfacedetection.train, Apache-2.0) is an MMDetection
``SingleStageDetector`` made of a depthwise-separable backbone, a tiny top-down FPN
(``TFPN``) and an anchor-free head with objectness and 5 landmarks. The modules here are
written from the published architecture and the released ONNX graph; they register into
**mmdet's** ``MODELS`` so that ``mmdet.apis.init_detector`` builds them from
``mmcfg/detectors/yunet_n_2023mar_widerface.py``.

The released weights have BatchNorm folded into the convolutions, so every
``ConvDPUnit`` here is conv(1x1) -> depthwise conv(3x3) [-> ReLU] with biases and no BN
(inference form). Training is out of scope: use libfacedetection.train for that.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from mmcv.ops import nms
from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn


class ConvDPUnit(nn.Module):
    """Pointwise 1x1 conv followed by a depthwise 3x3 conv (BN folded), optional ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        with_relu (bool): Apply ReLU after the depthwise conv. Defaults to True.
    """

    def __init__(self, in_channels: int, out_channels: int, with_relu: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, groups=out_channels)
        self.with_relu = with_relu

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv2(self.conv1(x))
        return F.relu(x) if self.with_relu else x


class ConvHead(nn.Module):
    """Stem: 3x3 stride-2 conv + ReLU, then a ``ConvDPUnit``."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, mid_channels, 3, stride=2, padding=1)
        self.conv2 = ConvDPUnit(mid_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(F.relu(self.conv1(x)))


class Conv4LayerBlock(nn.Module):
    """Two ``ConvDPUnit`` in a row: ``in -> in -> out``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = ConvDPUnit(in_channels, in_channels)
        self.conv2 = ConvDPUnit(in_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(self.conv1(x))


@MODELS.register_module()
class YuNetBackbone(BaseModule):
    """YuNet backbone.

    Args:
        stage_channels (Sequence[Sequence[int]]): Channels of each stage; the first is the
            stem ``(in, mid, out)``, the others ``(in, out)``. Defaults to YuNet-n.
        downsample_idx (Sequence[int]): Stages followed by a 2x2 max-pool.
            Defaults to ``(0, 2, 3, 4)``.
        out_idx (Sequence[int]): Stages whose outputs are returned (strides 8, 16, 32).
            Defaults to ``(3, 4, 5)``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        stage_channels: Sequence[Sequence[int]] = (
            (3, 16, 16), (16, 32), (32, 64), (64, 64), (64, 64), (64, 64)),
        downsample_idx: Sequence[int] = (0, 2, 3, 4),
        out_idx: Sequence[int] = (3, 4, 5),
        init_cfg: dict | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.downsample_idx = tuple(downsample_idx)
        self.out_idx = tuple(out_idx)
        self.model0 = ConvHead(*stage_channels[0])
        for i, (cin, cout) in enumerate(stage_channels[1:], start=1):
            self.add_module(f"model{i}", Conv4LayerBlock(cin, cout))
        self.num_stages = len(stage_channels)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        outs = []
        for i in range(self.num_stages):
            x = getattr(self, f"model{i}")(x)
            if i in self.out_idx:
                outs.append(x)
            if i in self.downsample_idx:
                x = F.max_pool2d(x, 2)
        return tuple(outs)


@MODELS.register_module()
class TFPN(BaseModule):
    """YuNet's tiny top-down FPN: upsample the coarser level, add, ``ConvDPUnit``.

    Args:
        in_channels (Sequence[int]): Channels of the backbone outputs, finest first.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, in_channels: Sequence[int] = (64, 64, 64),
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.lateral_convs = nn.ModuleList(ConvDPUnit(c, c) for c in in_channels)

    def forward(self, feats: Sequence[Tensor]) -> tuple[Tensor, ...]:
        outs = [None] * len(feats)
        x = self.lateral_convs[-1](feats[-1])
        outs[-1] = x
        for i in range(len(feats) - 2, -1, -1):
            up = F.interpolate(x, size=feats[i].shape[-2:], mode="nearest")
            x = self.lateral_convs[i](feats[i] + up)
            outs[i] = x
        return tuple(outs)


@MODELS.register_module()
class YuNetHead(BaseDenseHead):
    """Anchor-free YuNet head: class, objectness, box and 5-landmark branches per level.

    Decoding follows OpenCV's ``FaceDetectorYN``: ``score = sqrt(cls * obj)``; box centre
    ``(col + dx, row + dy) * stride``, size ``exp(dw, dh) * stride``; landmark
    ``(col + kx, row + ky) * stride``. Landmark order: right eye, left eye, nose tip, right
    mouth corner, left mouth corner (image left/right as seen by the viewer: OpenCV's names).

    Args:
        num_classes (int): Number of classes (1: face). Defaults to 1.
        in_channels (int): Channels of every neck level. Defaults to 64.
        strides (Sequence[int]): Stride of every level. Defaults to ``(8, 16, 32)``.
        num_keypoints (int): Landmarks per face. Defaults to 5.
        test_cfg (dict, optional): ``score_thr``, ``nms_pre``, ``nms=dict(iou_threshold)``,
            ``max_per_img`` (required; the detector configs give it).
        train_cfg (dict, optional): Unused (inference only). Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, num_classes: int = 1, in_channels: int = 64,
                 strides: Sequence[int] = (8, 16, 32), num_keypoints: int = 5,
                 test_cfg: dict | None = None, train_cfg: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.strides = tuple(strides)
        self.num_keypoints = num_keypoints
        if test_cfg is None:  # the config is the one place for the face score threshold
            raise ValueError("YuNetHead needs a test_cfg (score_thr, nms_pre, nms, "
                             "max_per_img), as mmcfg/detectors/*.py give it")
        self.test_cfg = test_cfg
        self.train_cfg = train_cfg
        n = len(self.strides)

        def branch(out: int) -> nn.ModuleList:
            return nn.ModuleList(ConvDPUnit(in_channels, out, with_relu=False) for _ in range(n))

        self.multi_level_cls = branch(num_classes)
        self.multi_level_obj = branch(1)
        self.multi_level_bbox = branch(4)
        self.multi_level_kps = branch(2 * num_keypoints)

    def forward(self, feats: Sequence[Tensor]) -> tuple[list[Tensor], ...]:
        """Raw per-level maps (NCHW logits for cls/obj, offsets for bbox/kps)."""
        cls = [m(f) for m, f in zip(self.multi_level_cls, feats)]
        obj = [m(f) for m, f in zip(self.multi_level_obj, feats)]
        bbox = [m(f) for m, f in zip(self.multi_level_bbox, feats)]
        kps = [m(f) for m, f in zip(self.multi_level_kps, feats)]
        return cls, obj, bbox, kps

    def loss_by_feat(self, *args, **kwargs):
        raise NotImplementedError(
            "YuNetHead is inference-only (BN-folded weights); train YuNet with "
            "libfacedetection.train and convert its checkpoint.")

    def decode_level(self, cls: Tensor, obj: Tensor, bbox: Tensor, kps: Tensor,
                     stride: int) -> tuple[Tensor, Tensor, Tensor]:
        """Decode one level of one image (CHW maps) into scores, xyxy boxes, landmarks."""
        _, h, w = cls.shape
        rows, cols = torch.meshgrid(
            torch.arange(h, device=cls.device, dtype=bbox.dtype),
            torch.arange(w, device=cls.device, dtype=bbox.dtype), indexing="ij")
        cols, rows = cols.reshape(-1), rows.reshape(-1)
        cls = cls.sigmoid().reshape(self.num_classes, -1).max(0).values
        obj = obj.sigmoid().reshape(-1)
        scores = (cls.clamp(0, 1) * obj.clamp(0, 1)).sqrt()
        bbox = bbox.reshape(4, -1)
        cx, cy = (cols + bbox[0]) * stride, (rows + bbox[1]) * stride
        bw, bh = bbox[2].exp() * stride, bbox[3].exp() * stride
        boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)
        kps = kps.reshape(self.num_keypoints, 2, -1).permute(2, 0, 1)
        points = torch.stack([(kps[..., 0] + cols[:, None]) * stride,
                              (kps[..., 1] + rows[:, None]) * stride], dim=-1)
        return scores, boxes, points

    def predict_by_feat(self, cls_scores: list[Tensor], obj_scores: list[Tensor],
                        bbox_preds: list[Tensor], kps_preds: list[Tensor],
                        batch_img_metas: list[dict] | None = None, cfg: dict | None = None,
                        rescale: bool = False, with_nms: bool = True) -> list[InstanceData]:
        """Turn head maps into ``InstanceData(bboxes, scores, labels, kps)`` per image."""
        cfg = cfg or self.test_cfg
        score_thr = cfg["score_thr"]
        nms_pre = cfg.get("nms_pre", 5000)
        iou_thr = cfg.get("nms", {}).get("iou_threshold", 0.3)
        max_per_img = cfg.get("max_per_img", 5000)
        results = []
        for i, meta in enumerate(batch_img_metas):
            per_level = [self.decode_level(c[i], o[i], b[i], k[i], s) for c, o, b, k, s in
                         zip(cls_scores, obj_scores, bbox_preds, kps_preds, self.strides)]
            scores = torch.cat([p[0] for p in per_level])
            boxes = torch.cat([p[1] for p in per_level])
            points = torch.cat([p[2] for p in per_level])
            keep = scores > score_thr
            scores, boxes, points = scores[keep], boxes[keep], points[keep]
            if scores.numel() > nms_pre:
                top = scores.topk(nms_pre).indices
                scores, boxes, points = scores[top], boxes[top], points[top]
            if with_nms and scores.numel():
                _, keep = nms(boxes, scores, iou_thr)
                keep = keep[:max_per_img]
                scores, boxes, points = scores[keep], boxes[keep], points[keep]
            if rescale and "scale_factor" in meta:
                sx, sy = meta["scale_factor"]
                boxes = boxes / boxes.new_tensor([sx, sy, sx, sy])
                points = points / points.new_tensor([sx, sy])
            res = InstanceData()
            res.bboxes = boxes
            res.scores = scores
            res.labels = torch.zeros_like(scores, dtype=torch.long)
            res.kps = points
            results.append(res)
        return results


def output_maps_like_onnx(head_out: tuple[list[Tensor], ...],
                          strides: Sequence[int] = (8, 16, 32)) -> dict[str, Tensor]:
    """Arrange raw head maps as the released ONNX graph outputs (``cls_8``, ``obj_8``, ...).

    Used to check the port against the ONNX reference: cls/obj get a sigmoid and every map
    becomes ``(N, H*W, C)``.
    """
    out = {}
    for name, maps in zip(("cls", "obj", "bbox", "kps"), head_out):
        for m, stride in zip(maps, strides):
            n, c, h, w = m.shape
            flat = m.permute(0, 2, 3, 1).reshape(n, h * w, c)
            out[f"{name}_{stride}"] = flat.sigmoid() if name in ("cls", "obj") else flat
    return out
