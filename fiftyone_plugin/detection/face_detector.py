"""``FaceDetector``: batched face detection with any MMDetection model."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import weights

CONFIG_DIR = Path(__file__).resolve().parents[2] / "mmcfg"
NATIVE_CONFIG = CONFIG_DIR / "detectors" / "yunet_n_2023mar_widerface.py"
DEFAULT_CONFIG = CONFIG_DIR / "detectors" / "yunet_n_2023mar_widerface_640.py"
# shipped configs -> the converted weights they use (``vfc weights fetch``)
SHIPPED_WEIGHTS = {NATIVE_CONFIG: "yunet", DEFAULT_CONFIG: "yunet"}


@dataclass
class FrameFaces:
    """Faces of one frame, in pixels: ``boxes`` (N, 4) xyxy, ``scores`` (N,),
    ``landmarks`` (N, 5, 2) or None when the detector gives none."""

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray | None


class FaceDetector:
    """Run an MMDetection face detector on batches of BGR frames.

    The model is built with ``mmdet.apis.init_detector``; frames go through the config's
    test pipeline (its loader swapped for ``LoadImageFromNDArray``) and into one
    ``model.test_step`` per batch, so the data preprocessor pads and stacks the batch.
    Landmarks are read from ``pred_instances.kps`` when the model predicts them (YuNet).

    Args:
        config (str, optional): mmdet config file. Defaults to YuNet at 640 px
            (``mmcfg/detectors/yunet_n_2023mar_widerface_640.py``); the native-resolution
            YuNet config is :data:`NATIVE_CONFIG`.
        checkpoint (str, optional): Checkpoint; defaults to the converted YuNet weights
            when the default config is used.
        score_thr (float, optional): Minimum detection score kept. Defaults to the config's
            ``model.test_cfg.score_thr`` (0.6 for YuNet); a given value also replaces that
            one, so a lower threshold is not cut by the model's own filter.
        batch_size (int): Frames per forward pass. Defaults to 8.
        device (str): Torch device. Defaults to ``"cpu"``.
        cfg_options (dict, optional): Overrides merged into the config.
        freeze (bool): Run backbone and neck as one frozen TorchScript trace
            (:func:`~fiftyone_plugin.freeze.freeze_for_inference`; eager when a model cannot
            be traced). Defaults to True.
    """

    def __init__(self, config: str | None = None, checkpoint: str | None = None,
                 score_thr: float | None = None, batch_size: int = 8, device: str = "cpu",
                 cfg_options: dict | None = None, freeze: bool = True) -> None:
        from mmdet.apis import init_detector
        from mmengine.config import Config

        config = str(config or DEFAULT_CONFIG)
        if not Path(config).is_file():
            raise FileNotFoundError(f"detector config not found: {config}")
        if checkpoint is None:
            name = SHIPPED_WEIGHTS.get(Path(config).resolve())
            if name is None:
                raise ValueError(f"{config} needs a checkpoint: pass checkpoint=...")
            checkpoint = str(weights.checkpoint_path(name))
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        test_cfg = cfg.model.get("test_cfg") or {}
        if score_thr is None:
            score_thr = float(test_cfg.get("score_thr", 0.0))
        elif "score_thr" in test_cfg:  # single-stage detectors filter inside the model
            cfg.model.test_cfg.score_thr = score_thr
        self.model = init_detector(cfg, checkpoint, device=device)
        # NHWC convolutions: 1.8x the frames/s of YuNet at 720p on 2 CPU cores, same boxes
        self.model.to(memory_format=torch.channels_last)
        if freeze and getattr(self.model, "with_neck", False):
            self._freeze(device)
        self.score_thr = score_thr
        self.batch_size = batch_size
        self.pipeline = self._build_pipeline(self.model.cfg)

    def _freeze(self, device: str) -> None:
        """Swap backbone + neck for one frozen trace; mmdet's ``test_step`` (preprocessing,
        head, decoding, NMS, rescaling) runs as before. (Tracing YuNet's head as well
        measured no faster.)"""
        from ..freeze import freeze_for_inference

        features = torch.nn.Sequential(self.model.backbone, self.model.neck)
        example = torch.zeros(2, 3, 64, 96, device=device)
        frozen = freeze_for_inference(features, example)
        if frozen is not features:
            self.model.backbone, self.model.neck = frozen, None

    @staticmethod
    def _build_pipeline(cfg):
        from mmcv.transforms import Compose

        steps = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        steps[0] = dict(type="mmdet.LoadImageFromNDArray")
        # Annotations do not exist at inference time.
        steps = [s for s in steps if "LoadAnnotations" not in s["type"]]
        return Compose(steps)

    @torch.inference_mode()
    def __call__(self, frames: list[np.ndarray]) -> list[FrameFaces]:
        """Detect faces in a list of BGR frames (any length; batched internally)."""
        from mmengine.dataset import pseudo_collate

        out: list[FrameFaces] = []
        for i in range(0, len(frames), self.batch_size):
            batch = [self.pipeline(dict(img=f, img_id=i + j))
                     for j, f in enumerate(frames[i:i + self.batch_size])]
            for sample in self.model.test_step(pseudo_collate(batch)):
                out.append(self._to_faces(sample.pred_instances))
        return out

    def _to_faces(self, inst) -> FrameFaces:
        keep = inst.scores >= self.score_thr
        boxes = inst.bboxes[keep].float().cpu().numpy()
        scores = inst.scores[keep].float().cpu().numpy()
        kps = inst.kps[keep].float().cpu().numpy() if "kps" in inst else None
        # Zero-size boxes break the tracker's Kalman update; they are never real faces.
        ok = (boxes[:, 2] - boxes[:, 0] > 1) & (boxes[:, 3] - boxes[:, 1] > 1)
        return FrameFaces(boxes[ok], scores[ok], None if kps is None else kps[ok])
