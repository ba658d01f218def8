"""``AdaptationRunner``: MMEngine's runner plus what per-video adaptation needs around it."""
from __future__ import annotations

import contextlib
import copy
import copyreg
import pickle
from pathlib import Path

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from numpy._core import multiarray as np_multiarray
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from ..registry import RUNNERS


@RUNNERS.register_module()
class AdaptationRunner(Runner):
    """Runs the adaptation from a config, selected with ``runner_type='AdaptationRunner'``.

    On top of :class:`mmengine.runner.Runner`:

    - ``data_source=dict(dataset=NAME, store_dir=None)`` in the config fills
      ``train_dataloader.dataset`` (store folder and videos) from a FiftyOne dataset, so a
      config can name a dataset instead of a crop-store path;
    - checkpoints resume with ``weights_only=True`` (:func:`trusted_checkpoints`);
    - training builds its loop and hooks in the config's scope whatever scope is current.

    What training leaves behind (embeddings in the face store, the adapted backbone and
    head) is written by the export hooks in :mod:`~fiftyone_plugin.adaptation.hooks`.
    """

    @classmethod
    def from_cfg(cls, cfg) -> "AdaptationRunner":
        cfg = copy.deepcopy(cfg)  # the data source fills nested keys: leave the caller's alone
        source = cfg.get("data_source")
        if source:
            dataset_cfg = cfg["train_dataloader"]["dataset"]
            dataset_cfg["data_root"], dataset_cfg["keys"] = resolve_data_source(**source)
        return super().from_cfg(cfg)

    def train(self) -> torch.nn.Module:
        # build the loop, optimizer and hooks in this runner's scope even when another
        # library (mmdet's detector) made its own scope current since
        with DefaultScope.overwrite_default_scope(self.default_scope.scope_name):
            return super().train()

    def load_checkpoint(self, filename: str, map_location="cpu", strict: bool = False,
                        revise_keys=((r"^module.", ""),)):
        with trusted_checkpoints():
            return super().load_checkpoint(filename, map_location, strict, list(revise_keys))

    def resume(self, filename: str, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True, map_location="default") -> None:
        with trusted_checkpoints():
            super().resume(filename, resume_optimizer, resume_param_scheduler, map_location)


def _plain_history_buffer(buffer: HistoryBuffer):
    """Pickle a message-hub ``HistoryBuffer`` as its constructor call on plain lists.

    By default it pickles its statistics as bound methods (``getattr``), which
    ``torch.load(weights_only=True)`` cannot admit safely; as plain numbers a checkpoint
    loads with ``HistoryBuffer`` as its only allowed class (:data:`CHECKPOINT_GLOBALS`)."""
    return HistoryBuffer, (buffer._log_history.tolist(), buffer._count_history.tolist(),
                           buffer.max_length)


copyreg.pickle(HistoryBuffer, _plain_history_buffer)
# the classes beyond tensors and plain containers that an adaptation checkpoint holds: the
# log history, and numpy float scalars (the timer hook's ``eta``), rebuilt from raw bytes
CHECKPOINT_GLOBALS = [HistoryBuffer, np_multiarray.scalar, np.dtype, np.dtypes.Float64DType]


@contextlib.contextmanager
def trusted_checkpoints():
    """Load the runner's checkpoints with ``weights_only=True`` (torch's default) and
    :data:`CHECKPOINT_GLOBALS` allowed, for this block only: no process-wide switch."""
    try:
        with torch.serialization.safe_globals(CHECKPOINT_GLOBALS):
            yield
    except pickle.UnpicklingError as e:
        raise RuntimeError(
            "this checkpoint holds more than weights and training state (it may come from "
            "an earlier version of the plugin, which pickled its log history as code): it "
            f"cannot be loaded safely. Start the run again without resume. ({e})") from None


def resolve_data_source(dataset: str, store_dir: str | None = None,
                        ids: list[str] | None = None) -> tuple[str, list[str]]:
    """The face-store folder and the video ids of a FiftyOne dataset (or of ``ids``)."""
    from ..embedding.store import stored_keys

    if store_dir is None or ids is None:
        import fiftyone as fo

        from ..api import face_store_root

        samples = fo.load_dataset(dataset)
        root = face_store_root(samples, store_dir)
        ids = samples.values("id") if ids is None else ids
    else:
        root = Path(store_dir)
    keys = stored_keys(root, ids)
    if not keys:
        raise FileNotFoundError(f"no stored faces for dataset '{dataset}' under {root}: run "
                                "the embed stage with crops stored first")
    return str(root), keys
