"""Positive face pairs from the crop store written by the embedding stage."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..clustering.common import evenly_spaced
from ..embedding.store import FaceStore, stored_keys
from ..registry import DATASETS
from ..tracking.tracks import QualityRules, cannot_links
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
            ``$VFC_CACHE_DIR/stores/<dataset id>``).
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
        keys = stored_keys(root) if keys is None else keys
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
            table = store.table()
            usable = rules.usable_tracks(table)
            pos = {t: len(self.tracks) + i for i, t in enumerate(sorted(usable))}
            self.tracks += [(v, usable[t]) for t in sorted(usable)]
            cannot += cannot_links(table, pos)
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
            rows = evenly_spaced(rows, max_per_track)
            crops.append(np.asarray(self.crops(video)[rows]))
            owner.append(np.full(len(rows), t))
        return np.concatenate(crops), np.concatenate(owner)


def load_track_sequences(data_root: str | None = None, keys: list[str] = (),
                         tracks_file: str | None = None, embeddings: str | None = None,
                         quality: dict | None = None
                         ) -> tuple[list[np.ndarray], list[tuple[str, int]], np.ndarray]:
    """Frame-embedding sequences of every usable track, in frame order, their
    ``(video key, track id)``, and the pairs of them that share a frame (``(P, 2)``
    indices; none for a ``tracks_file``).

    From the face store (``data_root``, videos ``keys``; only faces with an embedding: the
    pipeline's ``embed_stride`` leaves the others NaN), or from ``tracks_file``, an ``.npz``
    with ``embeddings`` (N, D), ``tracks`` (N,) and optional ``videos`` (N,) (the
    features-only protocol).
    """
    if tracks_file is not None:
        z = np.load(tracks_file)
        videos = z["videos"] if "videos" in z else np.zeros(len(z["tracks"]), np.int64)
        seqs, names = [], []
        for v in np.unique(videos):
            for t in np.unique(z["tracks"][videos == v]):
                rows = np.flatnonzero((videos == v) & (z["tracks"] == t))
                seqs.append(z["embeddings"][rows].astype(np.float32))
                names.append((str(v), int(t)))
        return seqs, names, np.zeros((0, 2), np.int64)
    root = Path(data_root)
    rules = QualityRules(**(quality or {}))
    seqs, names, cannot = [], [], []
    for key in keys:
        store = FaceStore(root, key)
        vectors, _ = store.read_embeddings(embeddings)
        table = store.table()
        pos = {}
        for t, rows in sorted(rules.usable_tracks(table).items()):
            rows = rows[np.isfinite(vectors[rows, 0])]
            rows = rows[np.argsort(table.frames[rows], kind="stable")]
            if len(rows):
                pos[t] = len(seqs)
                seqs.append(np.asarray(vectors[rows], np.float32))
                names.append((key, t))
        cannot += cannot_links(table, pos)
    return seqs, names, np.asarray(cannot, np.int64).reshape(-1, 2)


@DATASETS.register_module()
class TrackSequenceDataset(torch.utils.data.Dataset):
    """Two temporal views of one track's frame embeddings per item (VCT training).

    A view is a temporal crop (``crop`` fraction of the track, drawn uniformly), up to
    ``num_frames`` frames from it evenly spaced with jitter and in order, each dropped with
    probability ``drop_prob`` (one always stays), plus Gaussian noise ``noise_std``. Short
    views are zero-padded with a False mask. Item ``i`` is about track ``i mod T`` with a
    generator seeded by ``(seed, i)``; ``repeats`` sets how many items (views) each track
    has before they repeat. Items of one ``group`` are never negatives of each other: a
    group is a track, or with ``link_tracks`` the tracks that the parameter-free clustering
    links on their temporal averages (tracks sharing a frame never), so a person's other
    tracks are not pushed away (project choice, see BENCHMARKS.md).

    Args:
        data_root (str, optional): Face-store folder (with ``keys``), as
            :class:`TrackPairDataset`.
        keys (list[str], optional): Videos to use; None uses all.
        tracks_file (str, optional): ``.npz`` of precomputed features instead of a store.
        embeddings (str, optional): Store embeddings to read (None: the originals).
        quality (dict, optional): :class:`QualityRules` arguments.
        num_frames (int): Frames per view. Defaults to 16.
        crop (tuple[float, float]): Temporal crop fraction range. Defaults to (0.5, 1.0).
        drop_prob (float): Frame dropout. Defaults to 0.1.
        noise_std (float): Feature noise. Defaults to 0.01.
        repeats (int): Items per track. Defaults to 100.
        link_tracks (bool): Group tracks by the parameter-free clustering. Defaults to
            False (every track its own group).
        seed (int): Seed of the per-item generators. Defaults to 0.
    """

    def __init__(self, data_root: str | None = None, keys: list[str] | None = None,
                 tracks_file: str | None = None, embeddings: str | None = None,
                 quality: dict | None = None, num_frames: int = 16,
                 crop: tuple[float, float] = (0.5, 1.0), drop_prob: float = 0.1,
                 noise_std: float = 0.01, repeats: int = 100, link_tracks: bool = False,
                 seed: int = 0) -> None:
        if data_root is None and tracks_file is None:
            raise ValueError("TrackSequenceDataset needs data_root (a face store) or "
                             "tracks_file (precomputed features)")
        if tracks_file is None and keys is None:
            keys = stored_keys(data_root)
        self.tracks, self.names, self.cannot_link = load_track_sequences(
            data_root, keys, tracks_file, embeddings, quality)
        self.keys = list(keys or [])
        self.stores = None if tracks_file is not None else [
            FaceStore(Path(data_root), k) for k in self.keys]
        if not self.tracks:
            raise ValueError("no usable face track with embeddings: nothing to train on "
                             "(run the embed stage, or relax `quality`)")
        self.num_frames, self.crop, self.drop_prob = num_frames, tuple(crop), drop_prob
        self.noise_std, self.repeats, self.seed = noise_std, repeats, seed
        self.groups = np.arange(len(self.tracks))
        if link_tracks and len(self.tracks) > 1:
            from .matching import match_by_clustering

            self.groups = match_by_clustering([t.mean(0, keepdims=True) for t in self.tracks],
                                              cannot_link=self.cannot_link)

    def __len__(self) -> int:
        return len(self.tracks) * self.repeats

    @property
    def num_tracks(self) -> int:
        return len(self.tracks)

    def _view(self, seq: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n = len(seq)
        length = max(1, int(round(n * rng.uniform(*self.crop))))
        start = int(rng.integers(n - length + 1))
        if length > self.num_frames:
            edges = np.linspace(start, start + length, self.num_frames + 1)
            idx = np.minimum((edges[:-1] + rng.random(self.num_frames) * np.diff(edges))
                             .astype(int), start + length - 1)
        else:
            idx = np.arange(start, start + length)
        keep = rng.random(len(idx)) >= self.drop_prob
        keep[rng.integers(len(idx))] = True
        idx = idx[keep]
        x = np.zeros((self.num_frames, seq.shape[1]), np.float32)
        x[:len(idx)] = seq[idx] + rng.normal(0, self.noise_std, (len(idx), seq.shape[1]))
        mask = np.zeros(self.num_frames, bool)
        mask[:len(idx)] = True
        return x, mask

    def __getitem__(self, index: int) -> dict:
        rng = np.random.default_rng([self.seed, index])
        track = index % len(self.tracks)
        (x1, m1), (x2, m2) = (self._view(self.tracks[track], rng) for _ in range(2))
        return dict(inputs=dict(views=[torch.from_numpy(x1), torch.from_numpy(x2)],
                                masks=[torch.from_numpy(m1), torch.from_numpy(m2)],
                                group=int(self.groups[track])))
