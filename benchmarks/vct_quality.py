"""VCT ablation on the features-only protocol: temporal average vs clip-centralised vs
video-centralised track representations, per episode, known K and unknown K.

    python -m benchmarks.vct_quality [--episodes 6] [--people 9] [--distractors 3]
                                     [--iters 200] [--json OUT]

Track set: the lfw_dev one of :mod:`benchmarks.clustering_quality` (each photo is one
track of 6 frames: the aligned face and re-alignments with small geometric and photometric
changes). It is cut into ``--episodes`` disjoint "episodes" of ``--people`` identities (all
their tracks) plus ``--distractors`` people seen once, as the VCT paper evaluates per video.
In every episode, each learned variant trains its own model on that episode's tracks alone
(transductive, the shipped per-video configs, ``--iters`` iterations) and embeds every
track; the temporal average is the mean of the frame embeddings (no learning). Clustering:
known K = Ward HAC with the true K (the paper's protocol: NMI, WCP); unknown K = our
``parameter_free`` (#C DIF = sum over episodes of |K_pred - K_true|, NMI). Skips cleanly
without ``../shared/data``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.photo_tracks import DATA_ROOT, photo_track_set
from benchmarks.report import write_json

VARIANTS = {"temporal average (Temp Avg)": None,
            "clip-centralised (CT-TRSF)": "vct_clipcentral_sface_200it_pervideo.py",
            "video-centralised (VC-TRSF)": "vct_videocentral_sface_200it_pervideo.py"}


def episodes(labels: np.ndarray, count: int, people: int, distractors: int,
             seed: int = 0) -> list[np.ndarray]:
    """Track indices of each episode: ``people`` recurring identities and ``distractors``
    identities with one track, disjoint across episodes."""
    rng = np.random.default_rng(seed)
    ids, sizes = np.unique(labels, return_counts=True)
    many, once = rng.permutation(ids[sizes >= 3]), rng.permutation(ids[sizes == 1])
    if count * people > len(many) or count * distractors > len(once):
        raise ValueError(f"not enough identities for {count} episodes of {people} people")
    out = []
    for e in range(count):
        chosen = np.r_[many[e * people:(e + 1) * people],
                       once[e * distractors:(e + 1) * distractors]]
        out.append(np.flatnonzero(np.isin(labels, chosen)))
    return out


def learn(features: list[np.ndarray], config: str, iters: int, work: Path,
          link_tracks: bool = True) -> tuple[np.ndarray, float]:
    """Train a VCT variant on these tracks (one file of features); its track vectors and
    the CPU seconds it took."""
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.visualization import Visualizer

    from fiftyone_plugin.adaptation.train import REPO_CONFIGS, build_runner, load_config

    tracks_file = work / "tracks.npz"
    np.savez(tracks_file, embeddings=np.concatenate(features),
             tracks=np.repeat(np.arange(len(features)), [len(f) for f in features]))
    cfg = load_config(REPO_CONFIGS / config, str(work / "run"), cfg_options={
        "train_dataloader.dataset.tracks_file": str(tracks_file),
        "train_dataloader.dataset.data_root": None, "train_cfg.max_iters": iters,
        "train_dataloader.dataset.link_tracks": link_tracks,
        "default_hooks.logger.interval": 50, "log_level": "WARNING"})
    cfg.experiment_name = f"vct_{time.time()}"
    cpu = time.process_time()
    runner = build_runner(cfg)
    runner.train()
    seconds = time.process_time() - cpu
    name = next(h["name"] for h in cfg.custom_hooks if h["type"].endswith("ExportHook"))
    z = np.load(work / "run" / f"track_embeddings_{name}.npz")
    order = np.argsort(z["tracks"])  # tracks were numbered in input order
    for manager in (MMLogger, Visualizer, MessageHub):
        manager._instance_dict.clear()
    return z["embeddings"][order], seconds


def summarise(r: dict) -> dict:
    mean = lambda values: round(float(np.mean(values)), 4)  # noqa: E731
    return dict(known_k_nmi=mean([x[0] for x in r["known_k"]]),
                known_k_wcp=mean([x[1] for x in r["known_k"]]),
                unknown_k_nmi=mean([x[0] for x in r["unknown_k"]]), c_dif=r["c_dif"],
                predicted_k=[x[1] for x in r["unknown_k"]],
                true_k=[x[2] for x in r["unknown_k"]],
                cpu_seconds_per_episode=round(float(np.mean(r["cpu_seconds"])), 1))


def main() -> int:
    from fiftyone_plugin.clustering import cluster
    from fiftyone_plugin.clustering.common import track_means
    from fiftyone_plugin.evaluation import clustering_metrics

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=6)
    ap.add_argument("--people", type=int, default=9)
    ap.add_argument("--distractors", type=int, default=3)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--instance", action="store_true",
                    help="every track its own group (no linked tracks): pure instance "
                         "discrimination")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if not DATA_ROOT.is_dir():
        print(f"skipped: {DATA_ROOT} is absent (benchmark data lives only in ../shared/data)")
        return 0
    tracks = photo_track_set("lfw_dev", min_photos=3, max_photos=20, distractors=500)
    parts = episodes(tracks.labels, args.episodes, args.people, args.distractors)
    rows = {name: dict(known_k=[], unknown_k=[], c_dif=0, cpu_seconds=[]) for name in VARIANTS}
    for e, idx in enumerate(parts):
        feats, labels = [tracks.features[i] for i in idx], tracks.labels[idx]
        k = len(set(labels.tolist()))
        for name, config in VARIANTS.items():
            if config is None:
                vectors, seconds = track_means(feats), 0.0
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    vectors, seconds = learn(feats, config, args.iters, Path(tmp),
                                             link_tracks=not args.instance)
            single = [v[None] for v in vectors]
            known = clustering_metrics(labels, cluster(single, "hac_k", n_clusters=k))
            unknown = clustering_metrics(labels, cluster(single, "parameter_free"))
            r = rows[name]
            r["known_k"].append((known["nmi"], known["wcp"]))
            r["unknown_k"].append((unknown["nmi"], unknown["num_predicted"], k))
            r["c_dif"] += abs(unknown["num_predicted"] - k)
            r["cpu_seconds"].append(seconds)
            print(f"episode {e} ({len(idx)} tracks, K={k}) {name}: known-K NMI "
                  f"{known['nmi']:.3f} WCP {known['wcp']:.3f} | unknown-K NMI "
                  f"{unknown['nmi']:.3f} K {unknown['num_predicted']} | {seconds:.0f} CPU s",
                  flush=True)
    report = dict(episodes=args.episodes, people=args.people, distractors=args.distractors,
                  iterations=args.iters, link_tracks=not args.instance, tracks=[len(p) for p in parts],
                  variants={name: summarise(r) for name, r in rows.items()})
    print(json.dumps(report["variants"], indent=1))
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
