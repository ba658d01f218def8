"""Clustering time and peak memory against the number of tracks, ours vs peers.

    python -m benchmarks.clustering_scaling [--sizes 1000 10000 100000] [--repeats 3]
        [--json OUT]

Synthetic tracks (no data needed): identity prototypes on the 128-D unit sphere, a per-track
offset (same-person track distance ~0.3, like SFace across shots), 4 faces per track; one identity
per 10 tracks. Every (method, size) runs in a fresh subprocess, so its peak RSS
(``ru_maxrss``) is its own; the time is the median over ``--repeats`` runs of the clustering
call alone. Peers: scikit-learn ``AgglomerativeClustering`` (Ward with the true K; average
linkage with a distance threshold) and the ``finch-clust`` package (``FINCH``, first
partition). A method whose N x N matrix would not fit in RAM is reported as skipped.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from benchmarks.report import write_json

METHODS = ("ours_parameter_free", "ours_c1c", "ours_finch", "sklearn_ward_k",
           "sklearn_average_threshold", "finch_clust")
DENSE = {"sklearn_ward_k", "sklearn_average_threshold"}  # hold O(N^2) memory
DIM, FACES, TRACKS_PER_ID = 128, 4, 10
LIMIT_GIB = 20  # address-space cap per child on the 24 GiB machine


def make_tracks(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = max(1, n // TRACKS_PER_ID)
    protos = rng.normal(size=(ids, DIM)).astype(np.float32)
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    labels = rng.integers(ids, size=n)
    centre = protos[labels] + rng.normal(scale=0.06, size=(n, DIM)).astype(np.float32)
    faces = centre[:, None] + rng.normal(scale=0.03, size=(n, FACES, DIM)).astype(np.float32)
    faces /= np.linalg.norm(faces, axis=2, keepdims=True)
    # cannot-links: tracks of different people "sharing a frame", 1 per 4 tracks
    a = rng.integers(n, size=n // 4)
    b = rng.integers(n, size=n // 4)
    keep = labels[a] != labels[b]
    return list(faces), labels, np.stack([a[keep], b[keep]], 1), ids


def _run(method: str, faces, cannot, k):
    from fiftyone_plugin.clustering import cluster
    from fiftyone_plugin.clustering.common import track_means

    if method == "ours_parameter_free":
        return cluster(faces, "parameter_free", cannot_link=cannot)
    if method == "ours_c1c":
        return cluster(faces, "c1c", cannot_link=cannot)
    if method == "ours_finch":
        return cluster(faces, "finch")
    x = track_means(faces)
    if method == "sklearn_ward_k":
        from sklearn.cluster import AgglomerativeClustering

        return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    if method == "sklearn_average_threshold":
        from sklearn.cluster import AgglomerativeClustering

        return AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                       distance_threshold=1 - 0.363).fit_predict(x)
    if method == "finch_clust":
        from finch import FINCH

        # above 20k samples it needs an ANN library: faiss (pynndescent pulls in numba)
        c, _, _ = FINCH(x, distance="cosine", verbose=False, faiss_threshold=20000)
        return c[:, 0]
    raise ValueError(method)


def child(method: str, n: int, repeats: int) -> dict:
    from fiftyone_plugin.evaluation import clustering_metrics

    faces, labels, cannot, k = make_tracks(n)
    _run(method, faces[:200], cannot[(cannot < 200).all(1)], 20)  # imports, thread pools
    times, pred = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        pred = _run(method, faces, cannot, k)
        times.append(time.perf_counter() - t0)
    m = clustering_metrics(labels, pred)
    return dict(method=method, tracks=n, seconds=round(statistics.median(times), 3),
                peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                bcubed_f=round(m["bcubed_f"], 4), nmi=round(m["nmi"], 4),
                predicted_k=m["num_predicted"], true_k=m["num_true"])


def _limit_memory() -> None:
    """A child that would exhaust the machine fails with MemoryError instead."""
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_GIB * 2**30, LIMIT_GIB * 2**30))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), int(args.child[2]))))
        return 0
    if importlib.util.find_spec("finch") is None:
        args.methods = [m for m in args.methods if m != "finch_clust"]
        print("finch-clust is not installed (pip install finch-clust==0.2.3 faiss-cpu==1.15.1): skipping it")
    rows = []
    for n in args.sizes:
        for method in args.methods:
            if method in DENSE and n > 20000:
                rows.append(dict(method=method, tracks=n, skipped=(
                    f"needs an N x N matrix: {n * n * 8 / 2**30:.0f} GiB")))
                print(json.dumps(rows[-1]), flush=True)
                continue
            out = subprocess.run([sys.executable, "-m", "benchmarks.clustering_scaling",
                                  "--child", method, str(n), str(args.repeats)],
                                 capture_output=True, text=True, preexec_fn=_limit_memory)
            if out.returncode:
                rows.append(dict(method=method, tracks=n, failed=out.stderr.strip()[-300:]))
            else:
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
