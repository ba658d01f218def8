"""Positive face pairs from the crop store written by the embedding stage."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..embedding.store import FaceStore
from ..tracking.tracks import FaceTable, QualityRules, cooccurring_pairs
from .registry import DATASETS
from .transforms import build_pipeline


@DATASETS.register_module()
class TrackPairDataset(torch.utils.data.Dataset):
    """Two augmented faces of one person per item: from the same track, or from two tracks
    the coarse matching grouped (:meth:`set_groups`).

    Item ``i`` is about track ``i mod T`` (every track is visited equally often, long or
    short); with probability ``cross_track_prob`` its partner face comes from another track
    of its group. Randomness comes from a generator seeded by ``(seed, round, i)``, so
    items are reproducible for any number of workers.

    Args:
        data_root (str): Face-store folder of a dataset (``vfc`` puts it under
            ``$VFC_CACHE_DIR/stores/<dataset name>``).
        keys (list[str], optional): Videos (sample ids) to use; None uses every video in
            ``data_root``.
        pipeline (list[dict]): Augmentations applied to each face of a pair.
        quality (dict, optional): :class:`~fiftyone_plugin.tracking.tracks.QualityRules`
            arguments: the faces and tracks to learn from (the ones that get clustered).
        cross_track_prob (float): Chance that a pair spans two matched tracks when the
            track's group has several. Defaults to 0.5.
        seed (int): Seed of the per-item generators. Defaults to 0.
    """

    def __init__(self, data_root: str, keys: list[str] | None = None, pipeline=(),
                 quality: dict | None = None, cross_track_prob: float = 0.5,
                 seed: int = 0) -> None:
        root = Path(data_root)
        if keys is None:
            keys = sorted(p.name for p in root.iterdir()
                          if (p / "faces.npz").is_file()) if root.is_dir() else []
        if not keys:
            raise FileNotFoundError(
                f"no stored faces under {root}: run the embed stage (`vfc embed` or "
                "`find_identities`) with crops stored, then adapt")
        rules = QualityRules(**(quality or {}))
        self.stores = [FaceStore(root, k) for k in keys]
        self.keys = list(keys)
        self.tracks: list[tuple[int, np.ndarray]] = []  # (video, store rows) per track
        cannot: list[tuple[int, int]] = []
        for v, store in enumerate(self.stores):
            a = store.arrays
            table = FaceTable(a["frames"], a["boxes"], a["scores"], tracks=a["tracks"],
                              sharpness=a["sharpness"])
            usable = rules.usable_tracks(table)
            pos = {t: len(self.tracks) + i for i, t in enumerate(sorted(usable))}
            self.tracks += [(v, usable[t]) for t in sorted(usable)]
            cannot += [(pos[x], pos[y]) for x, y in cooccurring_pairs(table.frames, table.tracks)
                       if x in pos and y in pos]
        if not self.tracks:
            raise ValueError(f"no usable face track in {len(keys)} video(s) under {root}: "
                             "nothing to adapt on (relax `quality` or check the videos)")
        self.cannot_link = np.asarray(cannot, np.int64).reshape(-1, 2)
        self._crops = [None] * len(self.stores)  # memory maps, opened lazily per worker
        self.pipeline = build_pipeline(pipeline)
        self.cross_track_prob = cross_track_prob
        self.seed = seed
        # [round, group of each track] in shared memory: dataloader workers (forked or
        # persistent) see the loop's new groups without being restarted
        self._state = torch.zeros(len(self.tracks) + 1, dtype=torch.int64).share_memory_()
        self.set_groups(np.arange(len(self.tracks)), round_index=0)

    def __len__(self) -> int:
        return len(self.tracks)

    @property
    def num_tracks(self) -> int:
        return len(self.tracks)

    def set_groups(self, labels: np.ndarray, round_index: int | None = None) -> None:
        """Tracks with equal labels are one person for pair sampling (coarse matching)."""
        labels = np.asarray(labels)
        if len(labels) != len(self.tracks):
            raise ValueError(f"{len(labels)} group labels for {len(self.tracks)} tracks")
        self._state[1:] = torch.from_numpy(labels.astype(np.int64))
        if round_index is not None:
            self._state[0] = round_index

    @property
    def groups(self) -> np.ndarray:
        return self._state[1:].numpy()

    @property
    def round(self) -> int:
        return int(self._state[0])

    def crops(self, video: int) -> np.ndarray:
        if self._crops[video] is None:
            self._crops[video] = self.stores[video].crops()
        return self._crops[video]

    def _face(self, track: int, rng: np.random.Generator) -> np.ndarray:
        video, rows = self.tracks[track]
        return np.array(self.crops(video)[rows[rng.integers(len(rows))]])

    def _view(self, img: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        results = dict(img=img, rng=rng)
        for t in self.pipeline:
            results = t(results)
        return torch.from_numpy(np.ascontiguousarray(results["img"].transpose(2, 0, 1)))

    def __getitem__(self, index: int) -> dict:
        rng = np.random.default_rng([self.seed, self.round, index])
        track = index % len(self.tracks)
        partner = track
        groups = self.groups
        others = np.flatnonzero(groups == groups[track])
        others = others[others != track]
        if len(others) and rng.random() < self.cross_track_prob:
            partner = int(others[rng.integers(len(others))])
        return dict(inputs=[self._view(self._face(track, rng), rng),
                            self._view(self._face(partner, rng), rng)])

    def sample_faces(self, max_per_track: int = 16) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``max_per_track`` evenly spaced crops of every track, and their track index
        (what the coarse matching embeds)."""
        crops, owner = [], []
        for t, (video, rows) in enumerate(self.tracks):
            if len(rows) > max_per_track:
                rows = rows[np.linspace(0, len(rows) - 1, max_per_track).round().astype(int)]
            crops.append(np.asarray(self.crops(video)[rows]))
            owner.append(np.full(len(rows), t))
        return np.concatenate(crops), np.concatenate(owner)
