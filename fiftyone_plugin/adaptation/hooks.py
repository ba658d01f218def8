"""Hooks of the adaptation runs: progress to the outside world, and the exports that run
when training ends (the re-embedded faces, the adapted model, the track embeddings)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS


@HOOKS.register_module()
class ProgressHook(Hook):
    """Call ``callback(fraction, label)`` every ``interval`` iterations (a FiftyOne operator
    passes ``ctx.set_progress``; MMEngine code never imports FiftyOne).

    Args:
        callback (callable): ``callback(fraction, label)``.
        interval (int): Iterations between calls. Defaults to 10.
    """

    priority = "LOW"

    def __init__(self, callback: Callable[[float, str], None], interval: int = 10) -> None:
        self.callback = callback
        self.interval = interval

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        done = runner.iter + 1
        if self.every_n_train_iters(runner, self.interval) or done == runner.max_iters:
            loss = float(outputs["loss"]) if outputs and "loss" in outputs else float("nan")
            self.callback(done / runner.max_iters,
                          f"adaptation: iteration {done}/{runner.max_iters}, loss {loss:.3f}")


def _algorithm(runner):
    return runner.model.module if is_model_wrapper(runner.model) else runner.model


class _ExportHook(Hook):
    """Writes what training produced once it ends (rank 0 only), under ``name``."""

    priority = "VERY_LOW"  # after the checkpoint hook

    def __init__(self, name: str) -> None:
        self.name = name

    @master_only
    def after_train(self, runner) -> None:
        self.export(runner, _algorithm(runner), runner.train_dataloader.dataset)

    def export(self, runner, algorithm, dataset) -> None:
        raise NotImplementedError


@HOOKS.register_module()
class FaceEmbeddingExportHook(_ExportHook):
    """Re-embeds every stored face of the training videos with the adapted teacher and
    stores them as embeddings ``name`` next to the originals; writes the adapted backbone
    (``backbone.pth``, a plain state dict any ``FaceEmbedder`` loads) and head (``head.pth``,
    for the learned clustering distance) to ``work_dir``.

    Args:
        name (str): Name of the adapted embeddings in the face store. Defaults to
            ``"adapted"``.
    """

    def __init__(self, name: str = "adapted") -> None:
        super().__init__(name)

    def export(self, runner, algorithm, dataset) -> None:
        teacher = algorithm.teacher.module
        work_dir = Path(runner.work_dir)
        backbone_path, head_path = work_dir / "backbone.pth", work_dir / "head.pth"
        torch.save(teacher.backbone.state_dict(), backbone_path)
        torch.save(dict(head=runner.cfg.model.head.to_dict(),
                        state_dict=teacher.head.state_dict(), center=algorithm.center.cpu(),
                        teacher_temp=algorithm.teacher_temp,
                        student_temp=algorithm.student_temp), head_path)
        meta = dict(backbone=str(backbone_path.resolve()), head=str(head_path.resolve()),
                    work_dir=str(work_dir.resolve()), iterations=runner.iter)
        dim = getattr(teacher.backbone, "embedding_dim", 0)
        embedded = []  # every video first, then the writes: no mix of old and new sets
        for store in dataset.stores:
            crops = store.crops()
            emb = [algorithm.embed(torch.from_numpy(np.array(crops[i:i + 512]))
                                   .permute(0, 3, 1, 2)).cpu().numpy()
                   for i in range(0, len(crops), 512)]
            embedded.append(np.concatenate(emb) if emb else np.zeros((0, dim), np.float32))
        for store, emb in zip(dataset.stores, embedded):
            store.write_embeddings(self.name, emb, meta)
        runner.logger.info(f"adapted embeddings of {len(dataset.stores)} video(s) stored as "
                           f"'{self.name}'; backbone: {backbone_path}")


@HOOKS.register_module()
class TrackEmbeddingExportHook(_ExportHook):
    """One vector per training track, from all its frames. With a face store, every face of
    a track gets its track's vector (other faces NaN) as embeddings ``name``, so every
    clustering method can use them; with a ``tracks_file``,
    ``track_embeddings_<name>.npz`` goes to ``work_dir``.

    Args:
        name (str): Name of the track embeddings. Defaults to ``"vct"``.
    """

    def __init__(self, name: str = "vct") -> None:
        super().__init__(name)

    def export(self, runner, algorithm, dataset) -> None:
        algorithm.eval()
        device = next(algorithm.parameters()).device
        vectors = algorithm.embed_tracks(
            [torch.from_numpy(t).to(device) for t in dataset.tracks]).cpu().numpy()
        meta = dict(work_dir=str(Path(runner.work_dir).resolve()), iterations=runner.iter,
                    objective=algorithm.objective, level="track")
        if dataset.stores is None:
            path = Path(runner.work_dir) / f"track_embeddings_{self.name}.npz"
            np.savez(path, embeddings=vectors, videos=[v for v, _ in dataset.names],
                     tracks=[t for _, t in dataset.names])
            runner.logger.info(f"{len(vectors)} track embeddings written to {path}")
            return
        stores = dict(zip(dataset.keys, dataset.stores))
        per_face = {k: np.full((len(s), vectors.shape[1]), np.nan, np.float32)
                    for k, s in stores.items()}  # every video first, then the writes
        for (key, track), v in zip(dataset.names, vectors):
            per_face[key][stores[key].arrays["tracks"] == track] = v
        for key, store in stores.items():
            store.write_embeddings(self.name, per_face[key], meta)
        runner.logger.info(f"track embeddings of {len(vectors)} tracks in "
                           f"{len(dataset.stores)} video(s) stored as '{self.name}'")


def set_export_name(cfg, name: str) -> None:
    """Point the config's export hook at embeddings ``name`` (what the library asks for)."""
    hooks = [h for h in cfg.get("custom_hooks", []) if str(h.get("type", "")).endswith(
        "ExportHook")]
    if not hooks:
        raise ValueError("the config has no export hook (custom_hooks with "
                         "FaceEmbeddingExportHook or TrackEmbeddingExportHook): nothing "
                         "would be stored")
    for h in hooks:
        h["name"] = name
