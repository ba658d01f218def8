"""The base of the self-supervised models: one ``forward`` for every mode."""
from __future__ import annotations

from mmengine.model import BaseModel


class SelfSupervisedModel(BaseModel):
    """MMEngine's model contract, fixed once: ``forward(inputs, mode='loss')`` returns the
    losses (:meth:`loss`), ``'tensor'`` and ``'predict'`` return embeddings (:meth:`embed`).
    A model implements those two; what goes in ``inputs`` is its dataset's business."""

    def forward(self, inputs, data_samples=None, mode: str = "tensor"):
        if mode == "loss":
            return self.loss(inputs)
        if mode in ("tensor", "predict"):
            return self.embed(inputs)
        raise RuntimeError(f"invalid mode {mode!r}: use 'loss', 'tensor' or 'predict'")

    def loss(self, inputs) -> dict:
        """The losses of one batch, ``{name: scalar tensor}``."""
        raise NotImplementedError

    def embed(self, inputs):
        """Unit embeddings of ``inputs`` by the trained model."""
        raise NotImplementedError
