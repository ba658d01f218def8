"""Identity-clustering quality of every method on track sets built from labelled photos.

    python -m benchmarks.clustering_quality [--sets lfw orl] [--json OUT]

Track sets (see :mod:`benchmarks.photo_tracks`; each photo is one track of 6 views):

- ``lfw``: ``../shared/data/lfw_dev`` identities with >= 3 photos (at most 20 each, so one
  person does not dominate) plus 500 people seen once as distractors;
- ``orl``: ``../shared/data/orl``, 38 people x 10 photos.

Methods: our parameter-free default, the paper's rule without the impostor floor, C1C-style
and plain FINCH (automatic cut; FINCH's first partition; the ``finch-clust`` package's first
partition when installed), the fixed-threshold baseline (average-linkage HAC at SFace's
verification distance 0.637) and known-K Ward HAC. Skips cleanly without the data.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from benchmarks.photo_tracks import DATA_ROOT, photo_track_set
from benchmarks.report import write_json

SETS = {
    "lfw": dict(folder="lfw_dev", min_photos=3, max_photos=20, distractors=500),
    "orl": dict(folder="orl"),
}
METHODS = {
    "parameter_free (default)": ("parameter_free", {}),
    "parameter_free, paper rule only (no floor)": ("parameter_free", {"floor": None}),
    "c1c (auto)": ("c1c", {}),
    "finch (auto)": ("finch", {}),
    "finch (first partition)": ("finch", {"partition": "first"}),
    "finch (first partition with <= sqrt(N) clusters)": ("finch", {"partition": "sqrt"}),
    "hac_threshold 0.637 (fixed-threshold baseline)": ("hac_threshold", {}),
    "hac_k Ward (known K)": ("hac_k", "known"),
}


def run_set(name: str) -> list[dict]:
    from fiftyone_plugin.clustering import cluster
    from fiftyone_plugin.clustering.common import track_means
    from fiftyone_plugin.evaluation import clustering_metrics

    spec = dict(SETS[name])
    tracks = photo_track_set(spec.pop("folder"), **spec)
    if tracks is None:
        return []
    rows = []
    methods = dict(METHODS)
    try:
        from finch import FINCH

        methods["finch-clust 0.2.3 (first partition)"] = ("finch_clust", {})
    except ImportError:
        pass
    for label, (method, kwargs) in methods.items():
        t0 = time.perf_counter()
        if method == "finch_clust":
            c, _, _ = FINCH(track_means(tracks.features), distance="cosine", verbose=False)
            pred = c[:, 0]
        else:
            kwargs = {"n_clusters": tracks.num_identities} if kwargs == "known" else kwargs
            pred = cluster(tracks.features, method, **kwargs)
        seconds = time.perf_counter() - t0
        m = clustering_metrics(tracks.labels, pred)
        rows.append(dict(set=name, method=label, tracks=len(tracks.labels),
                         wcp=round(m["wcp"], 4), nmi=round(m["nmi"], 4),
                         bcubed_f=round(m["bcubed_f"], 4), pairwise_f=round(m["pairwise_f"], 4),
                         predicted_k=m["num_predicted"], true_k=m["num_true"],
                         k_error=round(m["num_predicted"] / m["num_true"] - 1, 4),
                         seconds=round(seconds, 2)))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if not DATA_ROOT.is_dir():
        print(f"skipped: {DATA_ROOT} is absent (benchmark data lives only in ../shared/data)")
        return 0
    rows = [r for name in args.sets for r in run_set(name)]
    write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
