"""The whole pipeline on generated multi-shot videos, every clustering method, every metric.

    python -m benchmarks.run_quality --videos DIR [--methods ...] [--json OUT]

``DIR`` holds the videos and ``manifest.json`` of :mod:`benchmarks.make_multishot`. The
videos go into a temporary FiftyOne dataset with their true faces (``frames.gt_faces``);
``find_identities`` detects, tracks and embeds once (timed); then every method clusters
each video on its own (the literature's protocol: each video is one problem) and
``evaluate_identities`` scores it against the true faces (IoU >= 0.5 matching), once with
unclustered (``unknown``) tracks as clusters of their own and once without them
(VideoClusterNet's protocol, ``clustered_only``).

Methods: ours (``parameter_free``, ``c1c``, ``finch``), the fixed-threshold baseline
(``hac_threshold``), known-K Ward (``hac_k``, K = true people in the video), and what users
do today without tracks: frame-level ``dbscan`` (scikit-learn, cosine, eps 0.5) and
``hdbscan`` (scikit-learn, min_cluster_size 5) on the face embeddings, noise = unknown;
and ``naive_peer`` (:mod:`benchmarks.naive_peer`: OpenCV YuNet + SFace per frame, IoU
linking, average-linkage HAC at 0.363), end to end with its own faces and tracks.
Face-level methods are scored at frame level only (a track has no single label there), and
get every face embedded (``embed_faces`` with ``embed_stride=1`` into a store of their own),
as users running them do; the pipeline embeds one usable face in ``--embed-stride`` per track.

With ``--vct`` every video also gets VCT track embeddings (video-centralised ``@vct`` and
clip-centralised ``@vct_ct``; the temporal average is the plain method), clustered with
known K (``hac_k``) and without (``parameter_free``).

With ``--adapt`` every video is also adapted on its own (VideoClusterNet, transductive;
``--adapt-config``, default the CPU-sized config; ``--adapt-matching``), timed in CPU
minutes, and the adapted
variants run too: ``<method>@adapted`` clusters the adapted embeddings by cosine,
``parameter_free@loss`` uses the adapted model's loss as the distance (the paper's stage 3).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


from benchmarks.report import write_json
from fiftyone_plugin.pipeline import DEFAULT_EMBED_STRIDE

TRACK_METHODS = ("parameter_free", "c1c", "finch", "hac_threshold", "hac_k")
FACE_METHODS = ("dbscan", "hdbscan")
PEER_METHODS = ("naive_peer",)  # benchmarks.naive_peer: OpenCV end to end, its own tracks
ADAPTED_METHODS = ("parameter_free@loss", "parameter_free@adapted", "c1c@adapted",
                   "hac_threshold@adapted", "hac_k@adapted")


VCT_METHODS = ("parameter_free@vct", "hac_k@vct", "parameter_free@vct_ct", "hac_k@vct_ct")
VCT_CONFIGS = {"vct": "vct_videocentral_sface_200it_pervideo.py",
               "vct_ct": "vct_clipcentral_sface_200it_pervideo.py"}


def variant(method: str) -> tuple[str, dict]:
    """``"parameter_free@loss"`` -> ``("parameter_free", embeddings/distance arguments)``;
    ``"hac_k@vct"`` clusters the VCT track embeddings ``vct``; ``"<method>@no_attach"``
    leaves every track the quality rules reject ``unknown``; ``"parameter_free@no_looks"``
    leaves out the default's step 5 (looks); ``"parameter_free@all_below"`` joins every
    pair below the bound at once instead of each cluster with its nearest;
    ``"parameter_free@centroid"`` compares two clusters by their mean directions alone;
    ``"parameter_free@no_guard"`` lets a track whose looks are likelier two people's link
    by them."""
    base, _, kind = method.partition("@")
    if not kind:
        return base, {}
    if kind in VCT_CONFIGS:
        return base, dict(embeddings=kind)
    if kind == "no_attach":  # unknown tracks stay unknown (the rules' protocol alone)
        return base, dict(attach_unknown=False)
    if kind == "no_looks":  # the default without its step 5 (ablation)
        return base, dict(method_params=dict(looks=False))
    if kind == "all_below":  # the default's merges under the bound as single linkage
        return base, dict(method_params=dict(nearest=False))
    if kind == "centroid":  # the default's clusters compared by their means (ablation)
        return base, dict(method_params=dict(linkage="centroid"))
    if kind == "no_guard":  # step 5 without its guard against identity switches (ablation)
        return base, dict(method_params=dict(guard_switches=False))
    return base, dict(embeddings="adapted", distance="loss" if kind == "loss" else "cosine")


def learn_tracks(dataset, cfg_options: dict | None = None) -> dict:
    """VC-TRSF and CT-TRSF track embeddings, one model per video; CPU minutes each."""
    from fiftyone_plugin import api
    from fiftyone_plugin.adaptation.train import REPO_CONFIGS

    out = {}
    for name, config in VCT_CONFIGS.items():
        cpu = time.process_time()
        summary = api.learn_track_embeddings(dataset, out_embeddings=name,
                                             config=str(REPO_CONFIGS / config),
                                             cfg_options=cfg_options,
                                             run_key=f"learn_{name}")
        out[name] = dict(cpu_minutes=round((time.process_time() - cpu) / 60, 2),
                         wall_seconds=summary["seconds"], tracks=summary["num_tracks"],
                         iterations=summary["iterations"])
        print(f"{name}: {out[name]}", flush=True)
    return out


def adapt_videos(dataset, ids, config: str | None, matching: str = "gaussian") -> dict:
    """Adapt on each video alone (transductive); CPU and wall minutes per video."""
    from fiftyone_plugin import api

    out = {}
    for k, sid in enumerate(ids):
        cpu, wall = time.process_time(), time.perf_counter()
        summary = api.adapt_faces(dataset.select(sid), config=config, run_key=f"adapt_{k}",
                                  cfg_options={"custom_hooks.0.matching.method": matching})
        out[sid] = dict(cpu_minutes=round((time.process_time() - cpu) / 60, 2),
                        wall_minutes=round((time.perf_counter() - wall) / 60, 2),
                        tracks=summary["num_tracks"], iterations=summary["iterations"])
        print(f"adapted video {k}: {out[sid]}", flush=True)
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (pipeline and clustering together)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _face_level(dataset, sid: str, method: str, out_field: str, store_dir: str) -> None:
    """Cluster one video's faces one by one (no tracks) and write the labels."""
    from bson import ObjectId
    from sklearn.cluster import DBSCAN, HDBSCAN

    from fiftyone_plugin import api, fo_io
    from fiftyone_plugin.embedding.store import FaceStore

    view = dataset.select(sid)
    _, _, sizes, faces = api.read_face_tables(view, "frames.faces")
    table, det_ids = faces[sid]
    store = FaceStore(Path(store_dir), sid)
    emb = store.embeddings[[store.row[d] for d in det_ids]]
    if method == "dbscan":
        labels = DBSCAN(eps=0.5, min_samples=3, metric="cosine").fit_predict(emb)
    else:
        labels = HDBSCAN(min_cluster_size=5).fit_predict(emb)
    names = [fo_io.identity_label(int(c)) if c >= 0 else fo_io.UNKNOWN for c in labels]
    frames = fo_io.faces_to_frames(table, [str(ObjectId()) for _ in det_ids],
                                   *sizes[sid], labels=names, with_landmarks=False)
    fo_io.write_frame_labels(view, out_field, {sid: frames}, "identities")


def run(videos: Path, methods: list[str], adapt: bool = False,
        adapt_config: str | None = None, matching: str = "gaussian",
        embed_stride: int | None = None, vct: bool = False,
        vct_options: dict | None = None, frame_stride: int = 1,
        only: list[str] | None = None) -> dict:
    import tempfile

    import fiftyone as fo

    from benchmarks.make_multishot import load_manifest
    from benchmarks.naive_peer import run_peer
    from fiftyone_plugin import api

    dataset = fo.Dataset()
    every_face = tempfile.TemporaryDirectory(prefix="vfc-every-face-")
    try:
        ids = load_manifest(dataset, videos / "manifest.json", names=only)
        dataset.compute_metadata()
        stride = embed_stride or DEFAULT_EMBED_STRIDE
        t0 = time.perf_counter()
        # detect, track, embed once (+ default clustering)
        api.find_identities(dataset, embed_stride=stride, frame_stride=frame_stride)
        pipeline_s = time.perf_counter() - t0
        if any(m in FACE_METHODS for m in methods):
            api.embed_faces(dataset, store_dir=every_face.name, store_crops=False,
                            embed_stride=1)
        frames = int(sum(dataset.values("metadata.total_frame_count")))
        true_k = dict(zip(ids, dataset.values("num_identities")))
        names = dict(zip(ids, dataset.values("video")))
        minutes = {names[sid]: round(n / fps / 60, 2) for sid, n, fps in zip(
            ids, dataset.values("metadata.total_frame_count"),
            dataset.values("metadata.frame_rate"))}
        adaptation = {}
        if adapt:
            adaptation = {names[sid]: m for sid, m in
                          adapt_videos(dataset, ids, adapt_config, matching).items()}
            methods = list(methods) + [m for m in ADAPTED_METHODS if m not in methods]
        track_models = {}
        if vct:
            track_models = learn_tracks(dataset, vct_options)
            methods = list(methods) + [m for m in VCT_METHODS if m not in methods]
        results = {}
        for method in methods:
            base, extra = variant(method)
            field = f"frames.pred_{method.replace('@', '_')}"
            t0, per_video_s = time.perf_counter(), {}
            for sid in ids:
                view = dataset.select(sid)
                t1 = time.perf_counter()
                if method in FACE_METHODS:
                    _face_level(dataset, sid, method, field, every_face.name)
                elif method in PEER_METHODS:
                    run_peer(dataset, sid, field, frame_stride)
                else:
                    api.cluster_faces(view, out_field=field, method=base,
                                      n_clusters=true_k[sid] if base == "hac_k" else None,
                                      run_key=f"run_{method.replace('@', '_')}",
                                      save_views=False, **extra)
                per_video_s[names[sid]] = round(time.perf_counter() - t1, 2)
            seconds = time.perf_counter() - t0
            key = method.replace("@", "_")
            report = api.evaluate_identities(dataset, pred_field=field,
                                             eval_key=f"eval_{key}", per_video=True)
            kept = api.evaluate_identities(dataset, pred_field=field, per_video=True,
                                           eval_key=f"eval_{key}_clustered",
                                           unclustered="drop")
            per_video = {names[sid]: dict(
                minutes=minutes[names[sid]], predicted_k=m["num_predicted"],
                true_k=m["num_true"], wcp=round(m["wcp"], 4), nmi=round(m["nmi"], 4),
                bcubed_f=round(m["bcubed_f"], 4),
                clustered_only=dict(predicted_k=c["num_predicted"],
                                    bcubed_f=round(c["bcubed_f"], 4)),
                seconds=per_video_s[names[sid]])
                for (sid, m), c in zip(report["per_video"].items(),
                                       kept["per_video"].values())}
            levels = ("frame",) if method in FACE_METHODS else ("track", "frame")
            results[method] = dict(
                {lvl: {k: round(v, 4) if isinstance(v, float) else v
                       for k, v in report[lvl].items()} for lvl in levels},
                c_dif=report["c_dif"], coverage=round(report["coverage"], 4),
                clustered_only={lvl: {k: round(v, 4) if isinstance(v, float) else v
                                      for k, v in kept[lvl].items()} for lvl in levels}
                | dict(c_dif=kept["c_dif"]),
                clustering_seconds=round(seconds, 2), per_video=per_video)
            t, f = results[method].get("track", {}), results[method]["frame"]
            print(f"{method:22s} track B3F {t.get('bcubed_f', float('nan')):.3f} "
                  f"frame WCP {f['wcp']:.3f} NMI {f['nmi']:.3f} B3F {f['bcubed_f']:.3f} "
                  f"#C DIF {report['c_dif']} | clustered tracks only: frame B3F "
                  f"{kept['frame']['bcubed_f']:.3f} #C DIF {kept['c_dif']} "
                  f"(coverage {report['coverage']:.3f})", flush=True)
        return dict(videos=len(ids), frames=frames, pipeline_seconds=round(pipeline_s, 1),
                    frame_stride=frame_stride, peak_rss_mb=peak_rss_mb(),
                    embed_stride=stride, adaptation=adaptation, track_models=track_models,
                    methods=results)
    finally:
        dataset.delete()
        every_face.cleanup()


def main() -> int:
    from mmengine.config import DictAction

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--videos", required=True, help="folder with manifest.json")
    ap.add_argument("--methods", nargs="+", default=list(TRACK_METHODS + FACE_METHODS),
                    choices=list(TRACK_METHODS + FACE_METHODS + PEER_METHODS)
                    + [f"{m}@no_attach" for m in TRACK_METHODS]
                    + ["parameter_free@no_looks", "parameter_free@all_below",
                       "parameter_free@centroid", "parameter_free@no_guard"])
    ap.add_argument("--adapt", action="store_true",
                    help="also adapt on each video and run the adapted variants")
    ap.add_argument("--adapt-config", default=None, help="adaptation config file")
    ap.add_argument("--adapt-matching", default="gaussian", choices=["gaussian", "parameter_free"],
                    help="coarse track matching of the adaptation")
    ap.add_argument("--vct", action="store_true",
                    help="also learn VCT track embeddings (video- and clip-centralised, "
                         "one model per video) and cluster them")
    ap.add_argument("--vct-options", nargs="+", action=DictAction, default=None,
                    help="VCT config overrides, e.g. train_dataloader.dataset.link_tracks=False")
    ap.add_argument("--embed-stride", type=int, default=None,
                    help=f"pipeline embeds one usable face in n per track "
                         f"(default {DEFAULT_EMBED_STRIDE})")
    ap.add_argument("--stride", type=int, default=1,
                    help="pipeline frame stride (long episodes: 5, as users run them)")
    ap.add_argument("--only", nargs="+", default=None,
                    help="only these videos of the manifest (by name)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from benchmarks.make_multishot import find_manifest

    if find_manifest(args.videos) is None:
        return 0
    report = run(Path(args.videos), args.methods, args.adapt, args.adapt_config,
                 args.adapt_matching, args.embed_stride, args.vct, args.vct_options,
                 args.stride, args.only)
    print(json.dumps({k: v for k, v in report.items() if k != "methods"}))
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
