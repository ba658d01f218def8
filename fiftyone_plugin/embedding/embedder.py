"""Batched face embedding with a registered backbone (SFace by default)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import weights
from . import sface  # noqa: F401  (registers SFace)


class FaceEmbedder:
    """Embed aligned RGB face crops into L2-normalised vectors.

    Args:
        backbone (str | dict | nn.Module): Registered backbone name (``"SFace"``), a config
            dict for the project's ``MODELS`` registry, or a built module.
            Defaults to ``"SFace"``.
        checkpoint (str, optional): State-dict checkpoint; defaults to the converted weights
            of the named backbone (``vfc weights fetch``).
        batch_size (int): Crops per forward pass. Defaults to 64.
        device (str): Torch device. Defaults to ``"cpu"``.
        freeze (bool): Embed with a frozen TorchScript trace of the backbone
            (:func:`~fiftyone_plugin.freeze.freeze_for_inference`; ``model`` stays the eager
            module). Defaults to True.
    """

    def __init__(self, backbone: str | dict | nn.Module = "SFace",
                 checkpoint: str | None = None, batch_size: int = 64,
                 device: str = "cpu", freeze: bool = True) -> None:
        if isinstance(backbone, nn.Module):
            model = backbone
        else:
            from ..registry import build_model

            cfg = dict(type=backbone) if isinstance(backbone, str) else dict(backbone)
            model = build_model(cfg)
            if checkpoint is not None:
                state = torch.load(checkpoint, map_location="cpu", weights_only=True)
                model.load_state_dict(state.get("state_dict", state))
            else:
                model.load_state_dict(weights.load_state_dict(cfg["type"].lower()))
        self.model = model.eval().to(device)
        self.device = device
        self.batch_size = batch_size
        self.input_size = getattr(model, "input_size", (112, 112))
        self.threshold = getattr(model, "verification_threshold", None)
        self.forward = self.model
        if freeze:
            from ..freeze import freeze_for_inference

            example = torch.zeros(2, 3, *self.input_size, device=device)
            self.forward = freeze_for_inference(self.model, example)

    @property
    def embedding_dim(self) -> int:
        return self.model.embedding_dim

    @torch.inference_mode()
    def __call__(self, crops_rgb: np.ndarray) -> np.ndarray:
        """``(N, H, W, 3)`` uint8 RGB crops -> ``(N, D)`` float32 unit vectors."""
        if len(crops_rgb) == 0:
            return np.zeros((0, self.embedding_dim), dtype=np.float32)
        out = []
        for i in range(0, len(crops_rgb), self.batch_size):
            x = torch.from_numpy(np.ascontiguousarray(crops_rgb[i:i + self.batch_size]))
            x = x.to(self.device).permute(0, 3, 1, 2).float()
            out.append(nn.functional.normalize(self.forward(x), dim=1).cpu())
        return torch.cat(out).numpy()
