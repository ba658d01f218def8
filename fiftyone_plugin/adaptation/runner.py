"""``AdaptationRunner``: MMEngine's runner plus what per-video adaptation needs around it."""
from __future__ import annotations

import contextlib
import copy
import os
import warnings
from pathlib import Path

import torch
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
    - checkpoints resume under torch >= 2.6 (:func:`trusted_checkpoints`);
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


@contextlib.contextmanager
def trusted_checkpoints():
    """Let mmengine's ``torch.load`` unpickle full checkpoints inside this block.

    torch >= 2.6 loads with ``weights_only=True`` by default, and an mmengine checkpoint
    cannot pass it: the message hub's ``HistoryBuffer`` pickles its statistics as bound
    methods (``getattr``), which no allow-list admits safely. The runner only resumes or
    loads checkpoints that a training run wrote (its ``work_dir``, ``load_from``), as
    mmengine's own unreleased fix does (``weights_only=False``); everything else in the
    project loads with ``weights_only=True``.
    """
    old = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
            yield
    finally:
        if old is None:
            os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
        else:
            os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = old


def resolve_data_source(dataset: str, store_dir: str | None = None,
                        ids: list[str] | None = None) -> tuple[str, list[str]]:
    """The face-store folder and the video ids of a FiftyOne dataset (or of ``ids``)."""
    from ..embedding.store import default_store_root, stored_keys

    root = Path(store_dir) if store_dir else default_store_root(dataset)
    if ids is None:
        import fiftyone as fo

        ids = fo.load_dataset(dataset).values("id")
    keys = stored_keys(root, ids)
    if not keys:
        raise FileNotFoundError(f"no stored faces for dataset '{dataset}' under {root}: run "
                                "the embed stage with crops stored first")
    return str(root), keys
