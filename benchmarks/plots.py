"""PNG plots of benchmark JSON results, for BENCHMARKS.md.

    python -m benchmarks.plots [--out benchmarks/plots]

Reads ``benchmarks/out/clustering_scaling.json`` (time and peak RSS vs tracks) and
``benchmarks/out/quality_lfw.json`` (metric bars per method) and
``benchmarks/out/quality_episode.json`` (quality against video length) when they exist. The plots show
numbers only, never images derived from the benchmark data.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def scaling(rows: list[dict], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    for method in dict.fromkeys(r["method"] for r in rows):
        pts = [r for r in rows if r["method"] == method and "seconds" in r]
        ns = [r["tracks"] for r in pts]
        ax_t.plot(ns, [r["seconds"] for r in pts], "o-", label=method)
        ax_m.plot(ns, [r["peak_rss_mib"] / 1024 for r in pts], "o-", label=method)
    for ax, label in ((ax_t, "seconds (median of 3)"), (ax_m, "peak RSS (GiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("tracks")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.axhline(60, color="grey", ls="--", lw=1)
    ax_m.axhline(4, color="grey", ls="--", lw=1)
    ax_t.legend(fontsize=7)
    fig.suptitle("Clustering time and memory vs number of tracks (2 CPU cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def quality(report: dict, path: Path) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    methods = list(report["methods"])
    metrics = ("wcp", "nmi", "bcubed_f")
    fig, ax = plt.subplots(figsize=(max(9.0, 1.0 * len(methods)), 4.0))
    x = np.arange(len(methods))
    for k, m in enumerate(metrics):
        ax.bar(x + (k - 1) * 0.27, [report["methods"][n]["frame"][m] for n in methods], 0.27,
               label=f"frame-level {m}")
    ax.set_xticks(x, [f"{n.replace('@', chr(10) + '@')}\n#C DIF {report['methods'][n]['c_dif']}"
                      for n in methods], fontsize=7)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"Generated multi-shot videos ({report['videos']} videos, "
                 f"{report['frames']} frames)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def length(report: dict, path: Path) -> None:
    """K against the true K and BCubed F per method, against video length (minutes)."""
    import matplotlib.pyplot as plt

    fig, (ax_k, ax_f) = plt.subplots(1, 2, figsize=(11, 4))
    truth = None
    for i, (method, res) in enumerate(report["methods"].items()):
        rows = sorted(res["per_video"].values(), key=lambda r: r["minutes"])
        mins = [r["minutes"] for r in rows]
        style = dict(color=plt.cm.tab20(i % 20), label=method)  # more lines than 10 colours
        ax_k.plot(mins, [r["predicted_k"] for r in rows], "o-", **style)
        ax_f.plot(mins, [r["bcubed_f"] for r in rows], "o-", **style)
        truth = truth or (mins, [r["true_k"] for r in rows])  # the first method's matching
    if truth:
        ax_k.plot(*truth, "k--", lw=2, label="true K")
    ax_k.set_ylabel("identities (unknown tracks as their own)")
    ax_f.set_ylabel("track-level BCubed F (unknown tracks as their own)")
    ax_f.axhline(0.95, color="grey", ls="--", lw=1)
    for ax in (ax_k, ax_f):
        ax.set_xscale("log")
        ax.set_xlabel("video length (minutes)")
        ax.grid(True, which="both", alpha=0.3)
    ax_k.set_yscale("log")
    ax_f.legend(fontsize=7)
    fig.suptitle("Quality against episode length (same cast, prefixes of one episode)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "plots"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    made = []
    if (OUT / "clustering_scaling.json").exists():
        scaling(json.loads((OUT / "clustering_scaling.json").read_text()),
                out / "clustering_scaling.png")
        made.append("clustering_scaling.png")
    if (OUT / "quality_lfw.json").exists():
        quality(json.loads((OUT / "quality_lfw.json").read_text()), out / "quality_lfw.png")
        made.append("quality_lfw.png")
    if (OUT / "quality_episode.json").exists():
        length(json.loads((OUT / "quality_episode.json").read_text()),
               out / "quality_episode.png")
        made.append("quality_episode.png")
    print(f"wrote {made} to {out}" if made else "no benchmark JSON found in benchmarks/out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
