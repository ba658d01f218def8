"""Verification accuracy of the PyTorch SFace port on 3000 LFW pairs from ../shared/data/lfw_dev.

    python -m benchmarks.lfw_verification [--pairs 3000] [--seed 0] [--json OUT]

Pairs are drawn with a fixed seed: half same-person (identities with >= 2 photos), half
different-person. Each photo goes through our pipeline: mmdet YuNet (the face nearest the
image centre), 5-point alignment, PyTorch SFace, cosine similarity. Reported: 10-fold
accuracy (threshold chosen on 9 folds, tested on the 10th) and accuracy at SFace's published
threshold 0.363. Skips cleanly when the data folder is absent.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.report import write_json

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lfw_dev"


def make_pairs(root: Path, n: int, seed: int) -> list[tuple[Path, Path, bool]]:
    rng = np.random.default_rng(seed)
    people = sorted(p for p in root.iterdir() if p.is_dir())
    images = {p.name: sorted(p.glob("*.jpg")) for p in people}
    multi = [k for k, v in images.items() if len(v) >= 2]
    names = sorted(images)
    pairs, seen = [], set()
    while len(pairs) < n // 2:
        k = multi[rng.integers(len(multi))]
        i, j = sorted(rng.choice(len(images[k]), 2, replace=False))
        if (k, i, j) not in seen:
            seen.add((k, i, j))
            pairs.append((images[k][i], images[k][j], True))
    while len(pairs) < n:
        a, b = rng.choice(len(names), 2, replace=False)
        pa, pb = images[names[a]], images[names[b]]
        pairs.append((pa[rng.integers(len(pa))], pb[rng.integers(len(pb))], False))
    return pairs


def ten_fold_accuracy(sims: np.ndarray, same: np.ndarray, seed: int) -> tuple[float, float]:
    idx = np.random.default_rng(seed).permutation(len(sims))
    folds = np.array_split(idx, 10)
    accs = []
    for k in range(10):
        test = folds[k]
        train = np.concatenate([folds[j] for j in range(10) if j != k])
        cands = np.unique(sims[train])
        best = max(cands, key=lambda t: ((sims[train] >= t) == same[train]).mean())
        accs.append(((sims[test] >= best) == same[test]).mean())
    return float(np.mean(accs)), float(np.std(accs))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (benchmark data lives only in ../shared/data)")
        return 0
    from benchmarks.photo_tracks import embed_photos

    pairs = make_pairs(DATA, args.pairs, args.seed)
    files = sorted({p for a, b, _ in pairs for p in (a, b)})
    t0 = time.time()
    stats: dict = {}
    emb = dict(zip(files, (e[0] for e in embed_photos(files, views=1, stats=stats))))
    sims = np.array([emb[a] @ emb[b] for a, b, _ in pairs])
    same = np.array([s for _, _, s in pairs])
    mean, std = ten_fold_accuracy(sims, same, args.seed)
    report = dict(pairs=len(pairs), same=int(same.sum()), images=len(files),
                  missed=stats["missed"],
                  ten_fold_accuracy=round(mean, 4), ten_fold_std=round(std, 4),
                  accuracy_at_0363=round(float(((sims >= 0.363) == same).mean()), 4),
                  seconds=round(time.time() - t0, 1))
    print(json.dumps(report, indent=2))
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
