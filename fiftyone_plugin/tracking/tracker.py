"""Track faces with MMDetection's motion trackers (ByteTrack by default).

mmdet's trackers consume one ``DetDataSample`` per frame and return a re-ordered subset of
the detections with ``instances_id``. :class:`FaceTracker` hides that: it takes boxes and
scores of one frame and returns one track id per input detection (``-1`` when the tracker
dropped it), numbering tracks uniquely across the whole video even though the tracker is
reset at every shot cut.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

DEFAULT_TRACKER_CONFIG = (Path(__file__).resolve().parents[2] / "mmcfg" / "trackers"
                          / "bytetrack_faces.py")


def build_mmdet_tracker(config: str | dict | None = None):
    """Build the ``tracker`` of a config file (or a tracker config dict) in mmdet's scope."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    register_all_modules(init_default_scope=False)
    if config is None or isinstance(config, (str, Path)):
        cfg = Config.fromfile(str(config or DEFAULT_TRACKER_CONFIG)).tracker
    else:
        cfg = config
    with DefaultScope.overwrite_default_scope("mmdet"):
        return MODELS.build(dict(cfg))


class FaceTracker:
    """Per-video face tracker over an mmdet motion tracker.

    Args:
        config (str | dict, optional): Tracker config file (with a ``tracker`` key) or a
            tracker dict. Defaults to ``mmcfg/trackers/bytetrack_faces.py``.
    """

    def __init__(self, config: str | dict | None = None) -> None:
        self.tracker = build_mmdet_tracker(config)
        self.next_id = 0
        self.local_to_global: dict[int, int] = {}
        self.frame_id = 0

    def new_shot(self) -> None:
        """Forget all tracks: faces never continue across a cut."""
        self.tracker.reset()
        self.local_to_global = {}
        self.frame_id = 0

    def update(self, boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Track one processed frame; returns ``(N,)`` global track ids (``-1``: dropped)."""
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData

        boxes_t = torch.as_tensor(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
        scores_t = torch.as_tensor(np.asarray(scores, dtype=np.float32).reshape(-1))
        sample = DetDataSample(metainfo=dict(frame_id=self.frame_id))
        sample.pred_instances = InstanceData(
            bboxes=boxes_t, scores=scores_t,
            labels=torch.zeros(len(scores_t), dtype=torch.long))
        out = self.tracker.track(sample)
        self.frame_id += 1
        ids = np.full(len(scores_t), -1, dtype=np.int64)
        # The tracker re-orders and filters detections but returns their boxes unchanged.
        index = {tuple(b): i for i, b in enumerate(boxes_t.numpy().tolist())}
        for box, local in zip(out.bboxes.numpy().tolist(), out.instances_id.tolist()):
            i = index.get(tuple(box))
            if i is None:
                continue
            if local not in self.local_to_global:
                self.local_to_global[local] = self.next_id
                self.next_id += 1
            ids[i] = self.local_to_global[local]
        return ids
