"""VCT-style track transformer: shapes and masks, the losses by hand, the dataset's seeded
views, and an MMEngine run from the real config file on CPU (synthetic track embeddings)."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from fiftyone_plugin.adaptation.datasets import TrackSequenceDataset
from fiftyone_plugin.adaptation.models.vct import (VCT, TrackTransformer, info_nce,
                                                   video_frame_nce)
from fiftyone_plugin.embedding.store import FaceStore, FaceStoreWriter

SMALL = dict(in_channels=16, embed_dims=32, num_layers=2, num_heads=4, max_len=8)


def track_store(root, key, rng, people=3, tracks_per_person=3, faces=12, dim=16):
    """Faces of ``people`` in tracks (two tracks per frame: cannot-links); embeddings are
    a person's direction plus per-track and per-face noise; every third face has none
    (NaN), as ``embed_stride`` leaves them."""
    centres = rng.normal(size=(people, dim))
    emb, frames, tracks = [], [], []
    for t in range(people * tracks_per_person):
        offset = 0.6 * rng.normal(size=dim)
        for j in range(faces):
            v = centres[t // tracks_per_person] + offset + 0.3 * rng.normal(size=dim)
            emb.append(v / np.linalg.norm(v))
            frames.append(1 + (t // 2) * faces + j)
            tracks.append(t)
    emb = np.array(emb, np.float32)
    emb[::3] = np.nan
    n = len(emb)
    w = FaceStoreWriter(root, key, store_crops=False)
    w.finish([f"{key}{i:06d}".ljust(24, "0") for i in range(n)], np.array(frames),
             np.array(tracks), np.tile(np.array([[0, 0, 60, 60]], np.float32), (n, 1)),
             np.ones(n, np.float32), np.full(n, 100.0, np.float32), emb)
    w.commit()
    return np.array(tracks)


@pytest.fixture
def store_root(tmp_path):
    rng = np.random.default_rng(0)
    for key in ("video_a", "video_b"):
        track_store(tmp_path / "store", key, rng)
    return tmp_path / "store"


def test_encoder_shapes_and_padding_mask():
    torch.manual_seed(0)
    enc = TrackTransformer(**SMALL).eval()
    x = torch.randn(3, 8, 16)
    mask = torch.ones(3, 8, dtype=torch.bool)
    mask[1, 5:] = False
    video, frames = enc(x, mask)
    assert video.shape == (3, 32) and frames.shape == (3, 8, 32)
    # what sits in padded frames changes nothing
    y = x.clone()
    y[1, 5:] = 100.0
    torch.testing.assert_close(enc(y, mask)[0], video)
    assert not torch.allclose(enc(y, torch.ones_like(mask))[0][1], video[1])
    with pytest.raises(ValueError, match="chunk"):
        enc(torch.randn(1, 9, 16), torch.ones(1, 9, dtype=torch.bool))
    assert TrackTransformer(**SMALL, video_token=False).eval()(x, mask)[0] is None


def test_info_nce_and_video_frame_nce_by_hand():
    eye = torch.eye(2)
    # logits [[1, 0], [0, 1]] at temperature 1: -log(e / (e + 1)) = log(1 + 1/e)
    expected = math.log(1 + math.exp(-1))
    assert info_nce(eye, eye, 1.0).item() == pytest.approx(expected, rel=1e-6)
    # the same track twice in a batch is no negative of itself: nothing left to contrast
    assert info_nce(eye, eye, 1.0, group=torch.tensor([0, 0])).item() == pytest.approx(0.0)
    frames = torch.tensor([[[1.0, 0.0], [9.0, 9.0]], [[0.0, 1.0], [9.0, 9.0]]])
    mask = torch.tensor([[True, False], [True, False]])  # padded frames are ignored
    assert video_frame_nce(eye, frames, mask, 1.0).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("objective,keys", [("video_centralised", {"loss_video", "loss_frame"}),
                                            ("clip_centralised", {"loss_clip"})])
def test_vct_losses_on_a_toy_batch(objective, keys):
    torch.manual_seed(0)
    model = VCT(SMALL, dict(hidden_channels=32, out_channels=16), objective=objective)
    views = [torch.randn(4, 8, 16) for _ in range(2)]
    masks = [torch.ones(4, 8, dtype=torch.bool) for _ in range(2)]
    losses = model(dict(views=views, masks=masks, group=torch.arange(4)), mode="loss")
    assert set(losses) == keys and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert model.encoder.proj.weight.grad.abs().sum() > 0
    # track vectors: unit, chunked past max_len
    vectors = model.eval().embed_tracks([torch.randn(20, 16), torch.randn(3, 16)])
    assert vectors.shape == (2, 16)
    torch.testing.assert_close(vectors.norm(dim=1), torch.ones(2))


def test_temporal_average_is_the_mean_and_does_not_train():
    model = VCT(SMALL, objective="temporal_average")
    t = torch.randn(5, 16)
    expected = torch.nn.functional.normalize(t.mean(0), dim=0)
    torch.testing.assert_close(model.embed_tracks([t])[0], expected)
    with pytest.raises(ValueError, match="nothing to train"):
        model.loss(dict(views=[t[None]] * 2, masks=[torch.ones(1, 5, dtype=torch.bool)] * 2))
    with pytest.raises(ValueError, match="objective"):
        VCT(SMALL, objective="frame")


def test_dataset_reads_embedded_faces_and_is_deterministic(store_root):
    a = TrackSequenceDataset(str(store_root), num_frames=6, seed=1, repeats=2)
    b = TrackSequenceDataset(str(store_root), num_frames=6, seed=1, repeats=2)
    c = TrackSequenceDataset(str(store_root), num_frames=6, seed=2, repeats=2)
    assert a.num_tracks == 18 and len(a) == 36
    assert all(len(t) == 8 for t in a.tracks)  # 12 faces, every third without embedding
    assert all(np.isfinite(t).all() for t in a.tracks)
    for i in (0, 7, 35):
        for x, y in zip(a[i]["inputs"]["views"], b[i]["inputs"]["views"]):
            torch.testing.assert_close(x, y)
    assert not torch.equal(a[7]["inputs"]["views"][0], c[7]["inputs"]["views"][0])
    item = a[3]["inputs"]
    assert item["group"] == 3 and item["views"][0].shape == (6, 16)
    for view, mask in zip(item["views"], item["masks"]):
        assert mask.any() and (view[~mask] == 0).all()
    with pytest.raises(ValueError, match="data_root"):
        TrackSequenceDataset()
    # linked: a person's tracks share a group, tracks sharing a frame never do
    linked = TrackSequenceDataset(str(store_root), link_tracks=True)
    person = np.arange(18) % 9 // 3  # 3 people x 3 tracks in each of 2 videos
    assert len(set(linked.groups.tolist())) < 18
    assert all(person[i] == person[j] for i in range(18) for j in range(18)
               if linked.groups[i] == linked.groups[j])
    assert all(linked.groups[i] != linked.groups[j] for i, j in linked.cannot_link)
    assert len(linked.cannot_link) > 0


def _runner(store_root, work_dir, request, **options):
    from fiftyone_plugin.adaptation.train import REPO_CONFIGS, build_runner, load_config

    cfg = load_config(REPO_CONFIGS / "vct_videocentral_sface_200it_pervideo.py", str(work_dir),
                      cfg_options={"model.encoder.in_channels": 16,
                                   "model.encoder.embed_dims": 32, "model.encoder.num_layers": 2,
                                   "model.encoder.num_heads": 4, "model.encoder.dropout": 0.0,
                                   "train_dataloader.batch_size": 12,
                                   "train_dataloader.dataset.data_root": str(store_root),
                                   "train_dataloader.dataset.num_frames": 6,
                                   "train_cfg.max_iters": 30, "optim_wrapper.optimizer.lr": 1e-3,
                                   "param_scheduler": [dict(type="ConstantLR", factor=1.0,
                                                            by_epoch=False)],
                                   "default_hooks.logger.interval": 1, **options})
    cfg.experiment_name = f"{request.node.name}_{time.time()}"
    return build_runner(cfg)


@pytest.mark.slow
def test_runner_from_config_trains_exports_and_repeats_with_a_seed(store_root, tmp_path,
                                                                   request, clean_mmengine):
    runner = _runner(store_root, tmp_path / "a", request)
    runner.train()
    losses = runner.message_hub.get_scalar("train/loss").data[0]
    assert len(losses) == 30 and np.mean(losses[-5:]) < np.mean(losses[:5])
    store = FaceStore(store_root, "video_a")
    emb, meta = store.read_embeddings("vct")
    tracks = store.arrays["tracks"]
    assert emb.shape == (len(tracks), 128) and meta["level"] == "track"
    for t in np.unique(tracks):  # one vector per track, on every face of it
        np.testing.assert_allclose(emb[tracks == t], np.repeat(emb[tracks == t][:1],
                                                               (tracks == t).sum(), 0))
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    # same seed, same config: the same track vectors
    again = _runner(store_root, tmp_path / "b", request)
    again.train()
    np.testing.assert_allclose(FaceStore(store_root, "video_a").read_embeddings("vct")[0], emb,
                               atol=1e-5)
