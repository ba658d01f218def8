"""VideoClusterNet adaptation: matching, the learned distance, the model, and MMEngine runs
from the real config file on CPU (synthetic crops, real SFace weights)."""
from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
import torch

from fiftyone_plugin.adaptation.distance import LossDistance
from fiftyone_plugin.adaptation.matching import (TrackGaussians, match_by_clustering,
                                                 match_tracks, outlier_threshold)
from fiftyone_plugin.embedding.store import FaceStore, FaceStoreWriter

# small head and batches: seconds per run on 2 cores
TINY = {"model.neck.hidden_channels": 64, "model.neck.bottleneck_channels": 32,
        "model.neck.out_channels": 128, "train_dataloader.batch_size": 4,
        "train_dataloader.num_workers": 0, "custom_hooks.0.faces_per_track": 4,
        "default_hooks.logger.interval": 1}


def gaussian_tracks(rng, centres, tracks_per_id=3, faces=20, sigma=0.3):
    faces_, owner = [], []
    for i, c in enumerate(centres):
        for _ in range(tracks_per_id):
            faces_.append(c + sigma * rng.standard_normal((faces, len(c))))
            owner.append(i)
    return faces_, np.array(owner)


def test_outlier_threshold_is_mean_of_lowest_quarter():
    assert outlier_threshold(np.array([8, 1, 7, 2, 6, 3, 5, 4.0])) == 1.5
    assert outlier_threshold(np.array([3.0, 9.0])) == 3.0  # at least one value


def test_track_gaussian_log_density_matches_scipy():
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3)) @ np.diag([1.0, 2.0, 0.5])
    g = TrackGaussians([x], eps=0.0)
    from sklearn.covariance import ledoit_wolf

    ref = multivariate_normal(x.mean(0), ledoit_wolf(x)[0]).logpdf(x[:5])
    np.testing.assert_allclose(g.log_density(0, x[:5]), ref, rtol=1e-9)


def test_matching_groups_tracks_of_one_gaussian_and_respects_cannot_link():
    rng = np.random.default_rng(1)
    centres = 3.0 * np.eye(3, 16)
    faces, owner = gaussian_tracks(rng, centres)
    labels = match_tracks(faces, pca_dim=None)
    # tracks of one identity end in one group, different identities never share one
    for i in range(3):
        assert len(set(labels[owner == i])) == 1
    assert len(set(labels)) == 3
    # tracks 0 and 1 (same person) share a frame: never matched, even transitively
    labels = match_tracks(faces, cannot_link=[(0, 1)], pca_dim=None)
    assert labels[0] != labels[1]
    assert len(set(labels)) == 4


def test_matching_leaves_far_tracks_alone():
    rng = np.random.default_rng(2)
    faces, _ = gaussian_tracks(rng, 10.0 * np.eye(4, 8), tracks_per_id=1)
    assert len(set(match_tracks(faces, pca_dim=4))) == 4


def test_matching_by_clustering_links_close_tracks_only():
    rng = np.random.default_rng(3)
    faces, owner = gaussian_tracks(rng, np.eye(3, 32), faces=8, sigma=0.05)
    faces = [f / np.linalg.norm(f, axis=1, keepdims=True) for f in faces]
    labels = match_by_clustering(faces)
    assert all(len(set(labels[owner == i])) == 1 for i in range(3))
    assert len(set(labels)) == 3
    assert len(set(match_by_clustering(faces, cannot_link=[(0, 1)]))) >= 4


def brute_force_loss(dist, fa, fb):
    p_a, l_a = dist.distributions(fa)
    p_b, l_b = dist.distributions(fb)
    return 0.5 * (-(p_a @ l_b.T).mean() - (p_b @ l_a.T).mean())


def test_loss_distance_is_exact_mean_over_face_pairs():
    from fiftyone_plugin.adaptation.models.dino import DINOHead, DINONeck

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    head = DINOHead(64, teacher_temp=0.04, student_temp=0.1)
    head.center.copy_(torch.randn(1, 64) * 0.1)
    dist = LossDistance(DINONeck(16, 32, 8, 64), head)
    faces = [rng.standard_normal((n, 16)).astype(np.float32) for n in (3, 4, 1)]
    faces = [f / np.linalg.norm(f, axis=1, keepdims=True) for f in faces]
    g = dist.init(faces)
    d = dist.between(g, np.array([0, 0]), np.array([1, 2]))
    assert d[0] == pytest.approx(brute_force_loss(dist, faces[0], faces[1]), rel=1e-5)
    assert d[1] == pytest.approx(brute_force_loss(dist, faces[0], faces[2]), rel=1e-5)
    p, logq = dist.distributions(faces[1])
    off = ~np.eye(4, dtype=bool)
    within = dist.within(g)
    assert within[1] == pytest.approx(-(p @ logq.T)[off].mean(), rel=1e-5)
    assert np.isnan(within[2])
    merged = dist.merge(g, np.array([0, 0, 1]))
    union = np.concatenate(faces[:2])
    assert dist.between(merged, np.array([0]), np.array([1]))[0] == pytest.approx(
        brute_force_loss(dist, union, faces[2]), rel=1e-5)


# --- MMEngine parts -------------------------------------------------------------------

def test_matching_hook_phases_follow_the_iteration_count():
    from fiftyone_plugin.adaptation.hooks import TrackMatchingHook

    hook = TrackMatchingHook(warmup_iters=12, iters_per_round=4)
    assert [hook.phase(i) for i in (0, 11, 12, 15, 16, 19)] == [-1, -1, 0, 0, 1, 1]
    assert [hook.num_rounds(n) for n in (10, 12, 16, 17, 20)] == [0, 0, 1, 2, 2]
    with pytest.raises(ValueError, match="not in"):
        TrackMatchingHook(matching=dict(method="nope"))


def synthetic_store(root, key, rng, identities=3, tracks_per_id=2, faces=6):
    """Crops of a few 'people' (smooth random colour patterns) in tracks; two tracks share
    each frame so there are cannot-links."""
    crops, frames, tracks = [], [], []
    track = 0
    for i in range(identities):
        base = cv2.resize(rng.integers(0, 255, (6, 6, 3)).astype(np.uint8), (112, 112))
        for _ in range(tracks_per_id):
            for j in range(faces):
                noise = rng.normal(0, 6, base.shape)
                crops.append(np.clip(base + noise, 0, 255).astype(np.uint8))
                frames.append(1 + (track // 2) * faces + j)
                tracks.append(track)
            track += 1
    n = len(crops)
    w = FaceStoreWriter(root, key)
    w.add_crops(np.stack(crops))
    w.finish([f"{key}{i:06d}".ljust(24, "0") for i in range(n)], np.array(frames),
             np.array(tracks), np.tile(np.array([[0, 0, 60, 60]], np.float32), (n, 1)),
             np.ones(n, np.float32), np.full(n, 100.0, np.float32),
             np.zeros((n, 128), np.float32))
    w.commit()


@pytest.fixture
def store_root(tmp_path):
    rng = np.random.default_rng(0)
    for key in ("video_a", "video_b"):
        synthetic_store(tmp_path / "store", key, rng)
    return tmp_path / "store"


def make_runner(store_root, work_dir, request, **options):
    from fiftyone_plugin.adaptation.train import DEFAULT_CONFIG, build_runner, load_config

    cfg = load_config(DEFAULT_CONFIG, str(work_dir), cfg_options={
        **TINY, "train_dataloader.dataset.data_root": str(store_root), **options})
    cfg.experiment_name = f"{request.node.name}_{time.time()}"
    return build_runner(cfg)


def test_dataset_is_deterministic_with_a_seed(store_root):
    from fiftyone_plugin.adaptation.datasets import TrackPairDataset

    pipeline = [dict(type="RandomFlip"), dict(type="RandomRotate"),
                dict(type="ColorTemperature")]
    a = TrackPairDataset(str(store_root), pipeline=pipeline, seed=3)
    b = TrackPairDataset(str(store_root), pipeline=pipeline, seed=3)
    c = TrackPairDataset(str(store_root), pipeline=pipeline, seed=4)
    assert len(a) == 12 and len(a.cannot_link) == 6
    for i in (0, 5, 11):
        assert all(torch.equal(x, y) for x, y in zip(a[i]["inputs"], b[i]["inputs"]))
    assert not torch.equal(a[5]["inputs"][0], c[5]["inputs"][0])
    # after matching, pairs may span the tracks of a group, never others
    a.set_groups(np.array([0, 0] + list(range(1, 11))), round_index=1)
    assert a.round == 1 and list(a.groups[:3]) == [0, 0, 1]


def test_teacher_moves_by_ema_only():
    from fiftyone_plugin.adaptation.models.vcn import VideoClusterNet

    torch.manual_seed(0)
    model = VideoClusterNet(dict(type="SFace"), dict(type="DINONeck", hidden_channels=32,
                                                     bottleneck_channels=16,
                                                     out_channels=32),
                            pretrained=None, ema_momentum=0.1, frozen_layers=23)
    model.train()
    student = [p for p in model.student.parameters() if p.requires_grad]
    opt = torch.optim.SGD(student, lr=0.5)
    assert all(not p.requires_grad for p in model.teacher.parameters())
    batch = [torch.randint(0, 255, (2, 3, 112, 112), dtype=torch.uint8) for _ in range(2)]
    for _ in range(2):  # the first update only copies the student
        before_t = {k: v.clone() for k, v in model.teacher.module.named_parameters()}
        before_s = {k: v.clone() for k, v in model.student.named_parameters()}
        model.loss(batch)["loss"].backward()
        opt.step()
        opt.zero_grad()
    after_t = dict(model.teacher.module.named_parameters())
    moved = 0
    for k, t0 in before_t.items():
        expected = 0.9 * t0 + 0.1 * before_s[k]
        torch.testing.assert_close(after_t[k], expected)
        moved += int(not torch.equal(after_t[k], t0))
    assert moved > 0
    # frozen trunk layers never change anywhere
    torch.testing.assert_close(after_t["backbone.conv_1.conv.weight"],
                               before_s["backbone.conv_1.conv.weight"])


@pytest.mark.slow
def test_runner_from_config_trains_exports_and_resumes(store_root, tmp_path, request,
                                                       clean_mmengine):
    from fiftyone_plugin.adaptation.hooks import ProgressHook
    from fiftyone_plugin.embedding import FaceEmbedder

    options = {"custom_hooks.0.warmup_iters": 12, "train_cfg.max_iters": 16,
               "custom_hooks.0.iters_per_round": 4, "default_hooks.checkpoint.interval": 8,
               "optim_wrapper.optimizer.lr": 1e-2,
               "param_scheduler": [dict(type="ConstantLR", factor=1.0, by_epoch=False)]}
    runner = make_runner(store_root, tmp_path / "work", request, **options)
    # the EMA teacher is not handed to the optimizer
    runner.train()
    names = {id(p) for g in runner.optim_wrapper.param_groups for p in g["params"]}
    assert not any(id(p) in names for p in runner.model.teacher.parameters())
    losses = runner.message_hub.get_scalar("train/loss").data[0]
    assert len(losses) == 16
    assert np.mean(losses[9:12]) < np.mean(losses[:3])  # the head-only warm-up learns
    assert runner.message_hub.get_scalar("train/matched_tracks").current() >= 0
    # adapted embeddings of every face, next to the originals
    for key in ("video_a", "video_b"):
        store = FaceStore(store_root, key)
        emb, meta = store.read_embeddings("adapted")
        assert emb.shape == (36, 128)
        np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
        assert not np.allclose(emb, store.embeddings)
    # the exported backbone reproduces them; the exported head gives the learned distance
    embedder = FaceEmbedder("SFace", checkpoint=meta["backbone"])
    np.testing.assert_allclose(embedder(np.asarray(store.crops()[:3])), emb[:3], atol=1e-4)
    distance = LossDistance.from_file(meta["head"])
    assert distance.within(distance.init([emb[:6]]))[0] > 0

    # resume from the iteration-8 checkpoint: only iterations 9..16 run again
    done = []
    options["default_hooks.checkpoint.interval"] = 100
    resumed = make_runner(store_root, tmp_path / "work", request, **options,
                          load_from=str(tmp_path / "work" / "iter_8.pth"), resume=True)
    resumed.register_hook(ProgressHook(lambda f, label: done.append(f), interval=1))
    resumed.train()
    assert len(done) == 8 and done[-1] == 1.0
    assert resumed.iter == 16


@pytest.mark.slow
def test_distributed_launch_with_two_processes(store_root, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from fiftyone_plugin.adaptation.train import DEFAULT_CONFIG

    root = Path(__file__).resolve().parents[1]
    options = [f"{k}={v}" for k, v in TINY.items()] + [
        f"train_dataloader.dataset.data_root={store_root}", "env_cfg.dist_cfg.backend=gloo",
        "model_wrapper_cfg.device_ids=None", "custom_hooks.0.warmup_iters=2",
        "train_cfg.max_iters=4", "custom_hooks.0.iters_per_round=2"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", "29577", str(root / "tests" / "ddp_cpu_launch.py"),
           str(DEFAULT_CONFIG), "--launcher", "pytorch", "--work-dir", str(tmp_path / "work"),
           "--cfg-options", *options]
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Distributed training: True" in done.stdout + done.stderr
    assert (tmp_path / "work" / "iter_4.pth").is_file()
    emb, _ = FaceStore(store_root, "video_a").read_embeddings("adapted")
    assert emb.shape == (36, 128)
