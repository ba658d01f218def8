"""Hooks of the adaptation runs: progress to the outside world, VideoClusterNet's training
phases, and the exports that run when training ends (the re-embedded faces, the adapted
model, the track embeddings)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..registry import HOOKS
from .matching import MATCHERS


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


@HOOKS.register_module()
class TrackMatchingHook(Hook):
    """VideoClusterNet's schedule over a plain ``IterBasedTrainLoop``: iterations
    ``[0, warmup_iters)`` train the head only on same-track pairs; then every
    ``iters_per_round`` iterations a round starts, which first matches tracks with the
    current teacher's embeddings (new cross-track positive pairs) and then fine-tunes
    backbone and head, until ``max_iters``.

    The phase follows from the iteration count alone, so a resumed run picks up where it
    stopped (matching is redone with the resumed weights). Batches already drawn when the
    groups change (prefetched by workers) still use the old ones.

    Args:
        warmup_iters (int): Head-only iterations. Defaults to 100.
        iters_per_round (int): Joint iterations per round. Defaults to 150.
        matching (dict, optional): ``method`` (``"gaussian"``: VideoClusterNet's rule,
            :func:`~fiftyone_plugin.adaptation.matching.match_tracks`, the default; or
            ``"parameter_free"``: :func:`~fiftyone_plugin.adaptation.matching.
            match_by_clustering`) and that function's arguments.
        faces_per_track (int): Faces per track embedded for matching. Defaults to 16.
    """

    priority = "ABOVE_NORMAL"  # before the iteration's other hooks see the model

    def __init__(self, warmup_iters: int = 100, iters_per_round: int = 150,
                 matching: dict | None = None, faces_per_track: int = 16) -> None:
        if warmup_iters < 0 or iters_per_round < 1:
            raise ValueError("warmup_iters must be >= 0 and iters_per_round >= 1")
        self.warmup_iters = warmup_iters
        self.iters_per_round = iters_per_round
        self.matching = dict(matching or {})
        method = self.matching.pop("method", "gaussian")
        if method not in MATCHERS:
            raise ValueError(f"matching method {method!r} not in {sorted(MATCHERS)}")
        self.matcher = MATCHERS[method]
        self.faces_per_track = faces_per_track
        self._phase: int | None = None  # -1 warm-up, r >= 0 round r

    def phase(self, iteration: int) -> int:
        if iteration < self.warmup_iters:
            return -1
        return (iteration - self.warmup_iters) // self.iters_per_round

    def num_rounds(self, max_iters: int) -> int:
        return self.phase(max_iters - 1) + 1 if max_iters > self.warmup_iters else 0

    def before_train(self, runner) -> None:
        self._phase = None
        runner.logger.info(f"{self.warmup_iters} head-only iterations, then "
                           f"{self.num_rounds(runner.max_iters)} round(s) of track matching "
                           f"and {self.iters_per_round} joint iterations")

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        phase = self.phase(runner.iter)
        if phase == self._phase:
            return
        algorithm = _algorithm(runner)
        algorithm.set_backbone_trainable(phase >= 0)
        if phase >= 0:
            dataset = runner.train_dataloader.dataset
            labels = self.match(algorithm, dataset)
            dataset.set_groups(labels, round_index=phase + 1)
            matched = int(len(labels) - (labels.max() + 1))
            runner.logger.info(
                f"round {phase + 1}/{self.num_rounds(runner.max_iters)}: "
                f"{labels.max() + 1} groups from {len(labels)} tracks ({matched} matches)")
            runner.message_hub.update_scalar("train/matched_tracks", matched)
        self._phase = phase

    def match(self, algorithm, dataset) -> np.ndarray:
        """Coarse track matching with the current teacher's embeddings."""
        crops, owner = dataset.sample_faces(self.faces_per_track)
        emb = algorithm.embed(torch.from_numpy(crops).permute(0, 3, 1, 2)).cpu().numpy()
        faces = [emb[owner == t] for t in range(dataset.num_tracks)]
        return self.matcher(faces, dataset.cannot_link, **self.matching)


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
    (``backbone.pth``, a plain state dict any ``FaceEmbedder`` loads), neck and loss head
    (``head.pth``, for the learned clustering distance) to ``work_dir``.

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
        torch.save(dict(neck=runner.cfg.model.neck.to_dict(), head=_head_config(algorithm),
                        neck_state=teacher.neck.state_dict(),
                        head_state=algorithm.head.state_dict()), head_path)
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


def _head_config(algorithm) -> dict:
    head = algorithm.head
    return dict(type=type(head).__name__, out_channels=head.center.shape[1],
                student_temp=head.student_temp, teacher_temp=head.teacher_temp,
                center_momentum=head.center_momentum)


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
