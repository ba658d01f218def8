"""``AdaptationRunner``: MMEngine's runner plus what per-video adaptation needs around it."""
from __future__ import annotations

import contextlib
import copy
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.model import is_model_wrapper
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
    - when training ends it re-embeds every face of the training videos with the adapted
      teacher and stores them as ``embeddings_<export_name>`` in the face store, next to
      the originals (``export_name=None`` skips this), and writes the adapted backbone
      (``backbone.pth``, a plain state dict for any ``FaceEmbedder``) and head
      (``head.pth``, for the learned clustering distance) to ``work_dir``.
    """

    @classmethod
    def from_cfg(cls, cfg) -> "AdaptationRunner":
        cfg = copy.deepcopy(cfg)  # the data source fills nested keys: leave the caller's alone
        source = cfg.get("data_source")
        if source:
            dataset_cfg = cfg["train_dataloader"]["dataset"]
            dataset_cfg["data_root"], dataset_cfg["keys"] = resolve_data_source(**source)
        runner = super().from_cfg(cfg)
        runner.export_name = cfg.get("export_name", "adapted")
        return runner

    @property
    def algorithm(self):
        return self.model.module if is_model_wrapper(self.model) else self.model

    def train(self) -> torch.nn.Module:
        # build the loop, optimizer and hooks in this runner's scope even when another
        # library (mmdet's detector) made its own scope current since
        with DefaultScope.overwrite_default_scope(self.default_scope.scope_name):
            model = super().train()
            if self.export_name:
                self.export()
        return model

    def load_checkpoint(self, filename: str, map_location="cpu", strict: bool = False,
                        revise_keys=((r"^module.", ""),)):
        with trusted_checkpoints():
            return super().load_checkpoint(filename, map_location, strict, list(revise_keys))

    def resume(self, filename: str, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True, map_location="default") -> None:
        with trusted_checkpoints():
            super().resume(filename, resume_optimizer, resume_param_scheduler, map_location)

    @master_only
    def export(self) -> None:
        """Adapted embeddings of every stored face, and the adapted backbone and head (a
        track model, such as VCT, exports track embeddings instead)."""
        algorithm = self.algorithm
        if hasattr(algorithm, "embed_tracks"):
            self.export_tracks()
            return
        teacher = algorithm.teacher.module
        work_dir = Path(self.work_dir)
        backbone_path, head_path = work_dir / "backbone.pth", work_dir / "head.pth"
        torch.save(teacher.backbone.state_dict(), backbone_path)
        torch.save(dict(head=self.cfg.model.head.to_dict(), state_dict=teacher.head.state_dict(),
                        center=algorithm.center.cpu(), teacher_temp=algorithm.teacher_temp,
                        student_temp=algorithm.student_temp), head_path)
        dataset = self.train_dataloader.dataset
        meta = dict(backbone=str(backbone_path.resolve()), head=str(head_path.resolve()),
                    work_dir=str(work_dir.resolve()), iterations=self.iter)
        dim = getattr(teacher.backbone, "embedding_dim", 0)
        embedded = []  # every video first, then the writes: no mix of old and new sets
        for store in dataset.stores:
            crops = store.crops()
            emb = [algorithm.embed(torch.from_numpy(np.array(crops[i:i + 512]))
                                   .permute(0, 3, 1, 2)).cpu().numpy()
                   for i in range(0, len(crops), 512)]
            embedded.append(np.concatenate(emb) if emb else np.zeros((0, dim), np.float32))
        for store, emb in zip(dataset.stores, embedded):
            store.write_embeddings(self.export_name, emb, meta)
        self.logger.info(f"adapted embeddings of {len(dataset.stores)} video(s) stored as "
                         f"'{self.export_name}'; backbone: {backbone_path}")

    def export_tracks(self) -> None:
        """One vector per training track, from all its frames. With a face store, every
        face of a track gets its track's vector (other faces NaN) as embeddings
        ``<export_name>``, so every clustering method can use them; with a
        ``tracks_file``, ``track_embeddings_<export_name>.npz`` goes to ``work_dir``."""
        algorithm, dataset = self.algorithm, self.train_dataloader.dataset
        algorithm.eval()
        device = next(algorithm.parameters()).device
        vectors = algorithm.embed_tracks(
            [torch.from_numpy(t).to(device) for t in dataset.tracks]).cpu().numpy()
        meta = dict(work_dir=str(Path(self.work_dir).resolve()), iterations=self.iter,
                    objective=algorithm.objective, level="track")
        if dataset.stores is None:
            path = Path(self.work_dir) / f"track_embeddings_{self.export_name}.npz"
            np.savez(path, embeddings=vectors, videos=[v for v, _ in dataset.names],
                     tracks=[t for _, t in dataset.names])
            self.logger.info(f"{len(vectors)} track embeddings written to {path}")
            return
        stores = dict(zip(dataset.keys, dataset.stores))
        per_face = {k: np.full((len(s), vectors.shape[1]), np.nan, np.float32)
                    for k, s in stores.items()}  # every video first, then the writes
        for (key, track), v in zip(dataset.names, vectors):
            per_face[key][stores[key].arrays["tracks"] == track] = v
        for key, store in stores.items():
            store.write_embeddings(self.export_name, per_face[key], meta)
        self.logger.info(f"track embeddings of {len(vectors)} tracks in "
                         f"{len(dataset.stores)} video(s) stored as '{self.export_name}'")


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
