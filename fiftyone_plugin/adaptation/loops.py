"""The VideoClusterNet schedule as an MMEngine loop: head-only warm-up, then rounds of
coarse track matching followed by joint fine-tuning."""
from __future__ import annotations

import numpy as np
import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from .matching import MATCHERS
from ..registry import LOOPS


@LOOPS.register_module()
class AdaptationLoop(IterBasedTrainLoop):
    """Iterations ``[0, warmup_iters)`` train the head only on same-track pairs; then each of
    ``rounds`` rounds first matches tracks with the current teacher's embeddings (new
    cross-track positive pairs) and fine-tunes backbone and head for ``iters_per_round``.

    The phase follows from the iteration count alone, so a resumed run picks up where it
    stopped (matching is redone with the resumed weights).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Its dataset must be a
            :class:`~fiftyone_plugin.adaptation.datasets.TrackPairDataset`.
        warmup_iters (int): Head-only iterations. Defaults to 100.
        rounds (int): Matching + fine-tuning rounds. Defaults to 2.
        iters_per_round (int): Joint iterations per round. Defaults to 200.
        matching (dict, optional): ``method`` (``"gaussian"``: VideoClusterNet's rule,
            :func:`~fiftyone_plugin.adaptation.matching.match_tracks`, the default; or
            ``"parameter_free"``: :func:`~fiftyone_plugin.adaptation.matching.
            match_by_clustering`) and that function's arguments.
        faces_per_track (int): Faces per track embedded for matching. Defaults to 16.
        **kwargs: ``val_begin``, ``val_interval``, ``dynamic_intervals`` of
            ``IterBasedTrainLoop``.
    """

    def __init__(self, runner, dataloader, warmup_iters: int = 100, rounds: int = 2,
                 iters_per_round: int = 200, matching: dict | None = None,
                 faces_per_track: int = 16, **kwargs) -> None:
        assert warmup_iters >= 0 and rounds >= 0 and iters_per_round > 0, \
            "`warmup_iters` and `rounds` must be >= 0 and `iters_per_round` > 0"
        super().__init__(runner, dataloader,
                         max_iters=warmup_iters + rounds * iters_per_round, **kwargs)
        self.warmup_iters = warmup_iters
        self.rounds = rounds
        self.iters_per_round = iters_per_round
        self.matching = dict(matching or {})
        method = self.matching.pop("method", "gaussian")
        assert method in MATCHERS, f"matching method {method!r} not in {sorted(MATCHERS)}"
        self.matcher = MATCHERS[method]
        self.faces_per_track = faces_per_track
        self._phase: int | None = None  # -1 warm-up, r >= 0 round r

    @property
    def algorithm(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def phase(self, iteration: int) -> int:
        if iteration < self.warmup_iters:
            return -1
        return min((iteration - self.warmup_iters) // self.iters_per_round, self.rounds - 1)

    def run_iter(self, data_batch) -> None:
        phase = self.phase(self._iter)
        if phase != self._phase:
            self._enter(phase)
            data_batch = next(self.dataloader_iterator)  # drawn with the new groups
        super().run_iter(data_batch)

    def _enter(self, phase: int) -> None:
        self.algorithm.set_backbone_trainable(phase >= 0)
        dataset = self.dataloader.dataset
        if phase >= 0:
            labels = self.match(dataset)
            dataset.set_groups(labels, round_index=phase + 1)
            matched = int(len(labels) - (labels.max() + 1))
            self.runner.logger.info(
                f"round {phase + 1}/{self.rounds}: {labels.max() + 1} groups from "
                f"{len(labels)} tracks ({matched} matches)")
            self.runner.message_hub.update_scalar("train/matched_tracks", matched)
        else:
            self.runner.logger.info(f"head-only warm-up for {self.warmup_iters} iterations")
        self._phase = phase

    def match(self, dataset) -> np.ndarray:
        """Coarse track matching with the current teacher's embeddings."""
        crops, owner = dataset.sample_faces(self.faces_per_track)
        emb = self.algorithm.embed(torch.from_numpy(crops).permute(0, 3, 1, 2)).cpu().numpy()
        faces = [emb[owner == t] for t in range(dataset.num_tracks)]
        return self.matcher(faces, dataset.cannot_link, **self.matching)
