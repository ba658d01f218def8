"""Library functions behind the operators and the CLI, one per pipeline stage.

Each has the FiftyOne utility shape ``f(sample_collection, in_field, out_field=...,
progress=None)``, validates its inputs first, computes everything, and only then writes in
bulk: a run that fails leaves the dataset as it was. ``progress`` is an optional callable
``progress(fraction, label)``.
"""
from __future__ import annotations

import bisect
import math
from contextlib import contextmanager
from dataclasses import asdict
from functools import reduce
from pathlib import Path

import numpy as np
from bson import ObjectId

from . import fo_io
from .clustering import DEFAULT_HAC_THRESHOLD, DEFAULT_METHOD, METHODS, cluster
from .clustering.attach import attach_unknown
from .embedding.store import FaceStore, FaceStoreWriter, default_store_root
from .pipeline import DEFAULT_EMBED_STRIDE, VideoResult, process_video
from .shots import ShotDetector
from .tracking.tracks import FaceTable, QualityRules, cooccurring_pairs, quality_score
from .video import probe

DEFAULT_RUN_KEY = "face_identities"
DEFAULT_EVAL_KEY = "identity_eval"
GT_FIELD = "frames.gt_faces"


def _videos(samples) -> tuple[list[str], list[str]]:
    fo_io.validate_videos(samples)
    ids, paths = samples.values(["id", "filepath"])
    if not ids:
        raise ValueError("the collection is empty: nothing to process")
    return ids, paths


def _sub_progress(progress, k: int, n: int):
    if progress is None:
        return None
    return lambda f, label: progress((k + f) / n, label)


def _store_root(samples, store_dir: str | None) -> Path:
    return Path(store_dir) if store_dir else default_store_root(samples._dataset.name)


def _detector(detector_config, checkpoint, score_thr, batch_size, device):
    from .detection import FaceDetector

    return FaceDetector(detector_config, checkpoint, score_thr=score_thr,
                        batch_size=batch_size, device=device)


def _embedder(backbone, checkpoint, device):
    from .embedding import FaceEmbedder

    return FaceEmbedder(backbone, checkpoint, device=device)


def _tracker(tracker_config):
    from .tracking.tracker import FaceTracker

    return FaceTracker(tracker_config)


def detect_faces(sample_collection, out_field: str = fo_io.FACES_FIELD,
                 shots_field: str | None = fo_io.SHOTS_FIELD, detector_config: str | None = None,
                 detector_checkpoint: str | None = None, score_thr: float = 0.6,
                 frame_stride: int = 1, batch_size: int = 8, device: str = "cpu",
                 progress=None) -> dict:
    """Detect faces (boxes, scores, 5 landmarks) and shot cuts in every video.

    Args:
        sample_collection: A FiftyOne video dataset or view.
        out_field (str): Frame field for the faces. Defaults to ``"frames.faces"``.
        shots_field (str, optional): Sample field for the shots (``fo.TemporalDetections``);
            None skips cut detection. Defaults to ``"shots"``.
        detector_config (str, optional): mmdet config; defaults to YuNet.
        detector_checkpoint (str, optional): Its checkpoint; defaults to the converted YuNet
            weights.
        score_thr (float): Minimum face score. Defaults to 0.6.
        frame_stride (int): Process every n-th frame. Defaults to 1.
        batch_size (int): Frames per detector batch. Defaults to 8.
        device (str): Torch device. Defaults to ``"cpu"``.
        progress (callable, optional): ``progress(fraction, label)``.

    Returns:
        dict: ``num_videos``, ``num_faces``, ``num_shots``.
    """
    ids, paths = _videos(sample_collection)
    fo_io.check_output_field(sample_collection, out_field)
    detector = _detector(detector_config, detector_checkpoint, score_thr, batch_size, device)
    results = {}
    for k, (sid, path) in enumerate(zip(ids, paths)):
        results[sid] = process_video(
            path, detector=detector, stride=frame_stride,
            shot_detector=ShotDetector() if shots_field else None, batch_size=batch_size,
            progress=_sub_progress(progress, k, len(ids)))
    _write_faces(sample_collection, out_field, results)
    if shots_field:
        fo_io.write_sample_labels(sample_collection, shots_field, {
            sid: fo_io.shots_to_label(r.shots) for sid, r in results.items()})
    return _summary(results)


def _write_faces(samples, field, results: dict[str, VideoResult]) -> None:
    per_sample = {}
    for sid, r in results.items():
        t = r.faces
        q = (quality_score(t.scores, t.sizes, t.sharpness) if t.sharpness is not None
             else None)
        per_sample[sid] = fo_io.faces_to_frames(t, r.det_ids, r.width, r.height, quality=q)
    fo_io.write_frame_labels(samples, field, per_sample)


def _summary(results: dict[str, VideoResult]) -> dict:
    return dict(num_videos=len(results),
                num_faces=int(sum(len(r.faces) for r in results.values())),
                num_tracks=int(sum(len(set(r.faces.tracks[r.faces.tracks >= 0].tolist()))
                                   for r in results.values())),
                num_shots=int(sum(len(r.shots) for r in results.values())))


def _read(samples, field):
    ids, paths = _videos(samples)
    fo_io.require_detections_field(samples, field)
    sizes = {}
    for sid, path in zip(ids, paths):
        info = probe(path)
        sizes[sid] = (info.width, info.height)
    return ids, paths, sizes, fo_io.read_faces(samples, field, sizes)


def _shot_starts(samples, shots_field: str | None) -> dict[str, list[int]]:
    if not shots_field or not samples.has_field(shots_field):
        return {}
    ids, supports = samples.values(["id", f"{shots_field}.detections.support"])
    return {sid: sorted(s[0] for s in (sup or [])) for sid, sup in zip(ids, supports)}


def retrack(table: FaceTable, shot_starts: list[int], tracker) -> np.ndarray:
    """Track stored faces frame by frame (reset at shot starts); returns track ids.

    The processing stride is inferred as the gcd of the face frames' offsets, and processed
    frames without faces are fed to the tracker too, so lost tracks age correctly.
    """
    tracks = np.full(len(table), -1, dtype=np.int64)
    if not len(table):
        return tracks
    frames = table.frames
    stride = int(reduce(math.gcd, (frames - frames.min()).tolist(), 0)) or 1
    starts = sorted(shot_starts)
    tracker.new_shot()
    shot = None
    for n in range(int(frames.min()), int(frames.max()) + 1, stride):
        current = bisect.bisect_right(starts, n)
        if shot is not None and current != shot:
            tracker.new_shot()
        shot = current
        rows = np.flatnonzero(frames == n)
        tracks[rows] = tracker.update(table.boxes[rows], table.scores[rows])
    return tracks


def track_faces(sample_collection, in_field: str = fo_io.FACES_FIELD,
                shots_field: str | None = fo_io.SHOTS_FIELD, tracker_config: str | None = None,
                progress=None) -> dict:
    """Link stored faces into tracks (``Detection.index``) with ByteTrack, per shot.

    Needs no decoding: boxes and scores come from ``in_field``, cuts from ``shots_field``.

    Returns:
        dict: ``num_videos``, ``num_faces``, ``num_tracks``.
    """
    ids, _, sizes, faces = _read(sample_collection, in_field)
    starts = _shot_starts(sample_collection, shots_field)
    tracker = _tracker(tracker_config)
    results = {}
    for k, sid in enumerate(ids):
        table, det_ids = faces[sid]
        table.tracks = retrack(table, starts.get(sid, []), tracker)
        w, h = sizes[sid]
        results[sid] = VideoResult("", w, h, table, det_ids)
        if progress is not None:
            progress((k + 1) / len(ids), f"tracked {k + 1} of {len(ids)} videos")
    # only `index` changes: rewrite it on the existing detections, in bulk
    _set_index(sample_collection, in_field, ids,
               [dict(zip(faces[sid][1], faces[sid][0].tracks.tolist())) for sid in ids])
    return _summary(results)


def _set_index(samples, field, ids, lookups) -> None:
    name = fo_io.frame_field(field)
    view = samples.select(ids, ordered=True)
    det_ids = view.values(f"frames.{name}.detections.id")
    new = [[[lk[str(d)] if lk.get(str(d), -1) >= 0 else None for d in (fr or [])]
            for fr in vid] for vid, lk in zip(det_ids, lookups)]
    view.set_values(f"frames.{name}.detections.index", new)


def embed_faces(sample_collection, in_field: str = fo_io.FACES_FIELD,
                store_dir: str | None = None, backbone: str = "SFace",
                checkpoint: str | None = None, store_crops: bool = True,
                embed_stride: int = DEFAULT_EMBED_STRIDE, batch_size: int = 8,
                device: str = "cpu", progress=None) -> dict:
    """Align every stored face and embed one usable face in ``embed_stride`` of each track
    (every face with ``embed_stride=1``); write embeddings (+ crops of every face) to the
    face store. Track faces first (``track_faces``): faces outside tracks are all embedded.

    The dataset itself only gains each face's ``quality`` attribute.

    Returns:
        dict: ``num_videos``, ``num_faces`` and ``store`` (its folder).
    """
    ids, paths, sizes, faces = _read(sample_collection, in_field)
    embedder = _embedder(backbone, checkpoint, device)
    root = _store_root(sample_collection, store_dir)
    results = {}
    with _store_transaction() as writers:
        for k, (sid, path) in enumerate(zip(ids, paths)):
            writers[sid] = FaceStoreWriter(root, sid, store_crops=store_crops)
            r = process_video(path, embedder=embedder, faces=faces[sid], store=writers[sid],
                              batch_size=batch_size, embed_stride=embed_stride,
                              progress=_sub_progress(progress, k, len(ids)))
            _finish_store(writers[sid], r)
            results[sid] = r
        quality = {}
        for sid, r in results.items():
            t = r.faces
            quality.update(zip(r.det_ids, quality_score(t.scores, t.sizes, t.sharpness)))
        name = fo_io.frame_field(in_field)
        view = sample_collection.select(ids, ordered=True)
        det_ids = view.values(f"frames.{name}.detections.id")
        view.set_values(f"frames.{name}.detections.quality",
                        [[[float(quality.get(str(d), 0.0)) for d in (fr or [])] for fr in vid]
                         for vid in det_ids], dynamic=True)
    return dict(_summary(results), store=str(root))


DEFAULT_ADAPT_KEY = "face_adaptation"


def adapt_faces(sample_collection, out_embeddings: str = "adapted", config: str | None = None,
                store_dir: str | None = None, work_dir: str | None = None,
                cfg_options: dict | None = None, run_key: str = DEFAULT_ADAPT_KEY,
                progress=None) -> dict:
    """Adapt the face model to these videos (VideoClusterNet, MMEngine) and store the
    adapted embeddings of every face as ``out_embeddings`` in the face store.

    Trains from ``config`` (default ``mmcfg/adaptation/vcn_sface_tail4_400it_pervideo.py``)
    on the stored crops of the collection's videos (run ``embed_faces`` or
    ``find_identities`` with crops first). The dataset's labels are not touched: cluster
    with ``cluster_faces(..., embeddings=out_embeddings, distance="loss")`` afterwards.
    The run (config file, work dir, time) is saved under ``run_key``.

    Args:
        out_embeddings (str): Name of the adapted embeddings. Defaults to ``"adapted"``.
        config (str, optional): Adaptation config file.
        work_dir (str, optional): Logs and checkpoints; defaults to
            ``$VFC_CACHE_DIR/adaptation/<dataset>/<run_key>``.
        cfg_options (dict, optional): Config overrides (``{"train_cfg.rounds": 3}``).

    Returns:
        dict: ``num_videos``, ``num_tracks``, ``iterations``, ``seconds``, ``work_dir``.
    """
    from .adaptation.train import DEFAULT_CONFIG

    ids, _ = _videos(sample_collection)
    root = _store_root(sample_collection, store_dir)
    for sid in ids:
        FaceStore(root, sid).crops()  # clear errors before any training
    return _train(sample_collection, ids, root, config or DEFAULT_CONFIG, out_embeddings,
                  _work_dir(sample_collection, run_key, work_dir), cfg_options, progress,
                  run_key=run_key, method="vcn_adaptation")


DEFAULT_VCT_KEY = "track_transformer"


def learn_track_embeddings(sample_collection, out_embeddings: str = "vct",
                           config: str | None = None, per_video: bool = True,
                           store_dir: str | None = None, work_dir: str | None = None,
                           cfg_options: dict | None = None, run_key: str = DEFAULT_VCT_KEY,
                           progress=None) -> dict:
    """Learn one representation per face track (VCT-style track transformer, MMEngine) and
    store it as embeddings ``out_embeddings`` (every face of a track gets its track's
    vector; faces of unusable tracks none).

    Trains from ``config`` (default ``mmcfg/adaptation/vct_videocentral_sface_200it_pervideo.py``;
    ``vct_clipcentral_*`` is the clip-centralised ablation) on the stored frame embeddings of
    the videos' usable tracks (run ``embed_faces`` or ``find_identities`` first; with
    ``embed_stride`` > 1 a track's sequence is its embedded faces). Then cluster with any
    method: ``cluster_faces(..., embeddings=out_embeddings)``.

    Args:
        out_embeddings (str): Name of the track embeddings. Defaults to ``"vct"``.
        config (str, optional): VCT config file.
        per_video (bool): One model per video (transductive, as the paper), else one for
            the whole collection. Defaults to True.
        work_dir (str, optional): Logs and checkpoints; defaults to
            ``$VFC_CACHE_DIR/adaptation/<dataset>/<run_key>`` (a sub-folder per video).
        cfg_options (dict, optional): Config overrides (``{"train_cfg.max_iters": 400}``).

    Returns:
        dict: ``num_videos``, ``num_tracks``, ``iterations``, ``seconds``, ``work_dir``.
    """
    from .adaptation.datasets import load_track_sequences
    from .adaptation.train import REPO_CONFIGS

    ids, _ = _videos(sample_collection)
    root = _store_root(sample_collection, store_dir)
    config = config or REPO_CONFIGS / "vct_videocentral_sface_200it_pervideo.py"
    work_dir = _work_dir(sample_collection, run_key, work_dir)
    # reads every store (a clear error when one is missing) before any training
    trainable = [sid for sid in ids if load_track_sequences(str(root), [sid])[0]]
    if not trainable:
        raise ValueError("no video has a usable face track with embeddings: nothing to "
                         "learn from (run find_identities or embed_faces first)")
    groups = [[sid] for sid in trainable] if per_video else [trainable]
    runs = [_train(sample_collection, group, root, config, out_embeddings,
                   str(Path(work_dir) / group[0]) if per_video else work_dir, cfg_options,
                   _sub_progress(progress, k, len(groups)))
            for k, group in enumerate(groups)]
    for sid in set(ids) - set(trainable):  # no usable track: every face stays unknown
        store = FaceStore(root, sid)
        store.write_embeddings(out_embeddings, np.full(
            (len(store), store.embeddings.shape[1]), np.nan, np.float32), dict(level="track"))
    summary = dict(num_videos=len(ids), num_tracks=sum(r["num_tracks"] for r in runs),
                   iterations=sum(r["iterations"] for r in runs),
                   seconds=round(sum(r["seconds"] for r in runs), 1), work_dir=work_dir)
    fo_io.save_run(sample_collection, run_key, dict(
        method="vct", config=str(config), per_video=per_video,
        out_embeddings=out_embeddings, cfg_options=cfg_options or {}), summary)
    return summary


def _work_dir(samples, run_key: str, work_dir: str | None) -> str:
    from .assets import cache_dir

    return work_dir or str(cache_dir() / "adaptation" / samples._dataset.name / run_key)


def _train(samples, ids, root: Path, config, out_embeddings: str, work_dir: str,
           cfg_options: dict | None, progress, run_key: str | None = None,
           method: str = "") -> dict:
    """Train one adaptation runner on the store of videos ``ids``; with ``run_key``, save
    the run (``method``, config, summary) on ``samples``."""
    import time

    from .adaptation.hooks import ProgressHook
    from .adaptation.train import build_runner, load_config

    cfg = load_config(config, work_dir, dataset=samples._dataset.name, store_dir=str(root),
                      ids=list(ids), cfg_options=cfg_options)
    cfg.export_name = out_embeddings
    runner = build_runner(cfg)
    if progress is not None:
        runner.register_hook(ProgressHook(progress))
    start = time.perf_counter()
    runner.train()
    summary = dict(num_videos=len(ids), num_tracks=runner.train_dataloader.dataset.num_tracks,
                   iterations=runner.iter, seconds=round(time.perf_counter() - start, 1),
                   work_dir=str(runner.work_dir))
    if run_key is not None:
        fo_io.save_run(samples, run_key, dict(
            method=method, config=str(config), out_embeddings=out_embeddings,
            cfg_options=cfg_options or {}), summary)
    return summary


@contextmanager
def _store_transaction():
    """Store writers that commit only if the whole block (dataset writes included) worked."""
    writers: dict[str, FaceStoreWriter] = {}
    try:
        yield writers
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    for w in writers.values():
        w.commit()


def _finish_store(writer: FaceStoreWriter, r: VideoResult) -> None:
    t = r.faces
    writer.finish(r.det_ids, t.frames, t.tracks, t.boxes, t.scores, t.sharpness, t.embeddings)


def _embedded_rows(table: FaceTable, usable: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Per usable track, its usable faces that have embeddings (``embed_stride`` leaves
    the others NaN), else any of its embedded faces (rules stricter than the sampler's);
    tracks with none are left out (``unknown``)."""
    has = np.isfinite(table.embeddings[:, 0])
    out = {}
    for t, rows in usable.items():
        rows = rows[has[rows]]
        if not len(rows):
            rows = np.flatnonzero(has & (table.tracks == t))
        if len(rows):
            out[t] = rows
    return out


SCOPES = ("video", "collection")


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")


def cluster_tracks(videos: dict[str, FaceTable], rules: QualityRules,
                   method: str = DEFAULT_METHOD, scope: str = "video",
                   attach_unknown: bool = True, **method_kwargs) -> dict[str, dict[int, int]]:
    """Group usable tracks into identities (cannot-link between tracks sharing a frame).

    Args:
        videos (dict[str, FaceTable]): Per sample id, its faces with tracks and embeddings.
        rules (QualityRules): Which faces and tracks are usable.
        method (str): A :data:`fiftyone_plugin.clustering.METHODS` key.
        scope (str): ``"video"`` (default): each video is its own clustering problem, with
            its own impostor bound, so a video's identities never change when other videos
            join the collection (the same person in two videos gets two identities);
            ``"collection"``: all videos are one problem (one bound; identities span videos).
        attach_unknown (bool): After clustering, join each unusable track that has an
            embedded face to the identity confidently close to it
            (:func:`~.clustering.attach.attach_unknown`). Defaults to True.
        **method_kwargs: The method's arguments (``n_clusters``, ``threshold``, ...).

    Returns:
        dict: ``{sample_id: {track id: identity number}}``, identity numbers unique over the
        collection (per scope, by the number of faces they hold, largest first); tracks left
        out are absent (``unknown``).
    """
    _check_scope(scope)
    groups = [[sid] for sid in videos] if scope == "video" else [list(videos)]
    out: dict[str, dict[int, int]] = {sid: {} for sid in videos}
    first = 0
    for sids in groups:
        assignment = _cluster_scope({sid: videos[sid] for sid in sids}, rules, method,
                                    attach_unknown, method_kwargs)
        for sid, tracks in assignment.items():
            out[sid] = {t: first + c for t, c in tracks.items()}
        first += len({c for a in assignment.values() for c in a.values()})
    return out


def _cluster_scope(videos: dict[str, FaceTable], rules: QualityRules, method: str,
                   attach: bool, method_kwargs: dict) -> dict[str, dict[int, int]]:
    """One clustering problem: identities numbered 0.. by faces held, largest first."""
    keys, faces, sizes, cannot = [], [], [], []
    lost, lost_faces, lost_sizes, lost_cannot = [], [], [], []
    for sid, table in videos.items():
        usable = rules.usable_tracks(table)
        embedded = _embedded_rows(table, usable)
        tids = sorted(embedded)
        pos = {t: len(keys) + i for i, t in enumerate(tids)}
        keys += [(sid, t) for t in tids]
        faces += [table.embeddings[embedded[t]] for t in tids]
        sizes += [len(usable[t]) for t in tids]
        has = np.isfinite(table.embeddings[:, 0])
        others = sorted(set(table.tracks[table.tracks >= 0].tolist()) - set(tids))
        upos = {t: len(lost) + i for i, t in enumerate(others)}
        lost += [(sid, t) for t in others]
        lost_faces += [table.embeddings[has & (table.tracks == t)] for t in others]
        lost_sizes += [int((table.tracks == t).sum()) for t in others]
        for a, b in cooccurring_pairs(table.frames, table.tracks):
            if a in pos and b in pos:
                cannot.append((pos[a], pos[b]))
            for u, t in ((a, b), (b, a)):
                if u in upos and t in pos:
                    lost_cannot.append((upos[u], pos[t]))
    out: dict[str, dict[int, int]] = {sid: {} for sid in videos}
    if not keys:
        return out
    labels = cluster(faces, method, cannot_link=cannot, **method_kwargs)
    if attach and lost:
        joined = attach_unknown(faces, labels, lost_faces, lost_cannot,
                                fallback=method_kwargs.get("fallback"))
        keep = joined >= 0
        keys += [k for k, j in zip(lost, keep) if j]
        sizes += [n for n, j in zip(lost_sizes, keep) if j]
        labels = np.concatenate([labels, joined[keep]])
    weight = np.bincount(labels, weights=sizes)
    rank = {c: r for r, c in enumerate(sorted(range(len(weight)), key=lambda c: (-weight[c], c)))}
    for (sid, t), c in zip(keys, labels):
        out[sid][t] = rank[int(c)]
    return out


def _identity_frames(table: FaceTable, det_ids, width, height, assignment):
    labels = [fo_io.identity_label(assignment[t]) if t in assignment else fo_io.UNKNOWN
              for t in table.tracks.tolist()]
    fresh = [str(ObjectId()) for _ in det_ids]
    return fo_io.faces_to_frames(table, fresh, width, height, labels=labels,
                                 with_landmarks=False)


def _method_kwargs(method: str, n_clusters: int | None, threshold: float | None,
                   scope: str = "video") -> dict:
    _check_scope(scope)
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; choose from {sorted(METHODS)}")
    if method == "hac_k" and not n_clusters:
        raise ValueError("method 'hac_k' needs n_clusters, the known number of identities")
    kwargs = {}
    if n_clusters and method in ("hac_k", "finch", "c1c"):
        kwargs["n_clusters"] = int(n_clusters)
    if method == "hac_threshold":
        kwargs["threshold"] = DEFAULT_HAC_THRESHOLD if threshold is None else float(threshold)
    return kwargs


def cluster_faces(sample_collection, in_field: str = fo_io.FACES_FIELD,
                  out_field: str = fo_io.IDENTITIES_FIELD, store_dir: str | None = None,
                  method: str = DEFAULT_METHOD, n_clusters: int | None = None,
                  threshold: float | None = None, quality: QualityRules | None = None,
                  embeddings: str = "original", distance: str = "cosine",
                  run_key: str = DEFAULT_RUN_KEY, save_views: bool = True,
                  scope: str = "video", attach_unknown: bool = True,
                  progress=None) -> dict:
    """Group face tracks into identities and write ``out_field`` (``id_000``, ...).

    Track faces come from the face store (``embed_faces``); tracks sharing a frame never
    merge; faces of tracks too short or too poor (``quality``) are labelled ``unknown``.
    The run (config, per-track assignment, counts) is saved under ``run_key``; with
    ``save_views`` every identity also gets a saved view ``<run_key>-id_NNN``.

    Args:
        method (str): ``"parameter_free"`` (default, no K, no threshold), ``"c1c"``,
            ``"finch"``, ``"hac_k"`` (needs ``n_clusters``) or ``"hac_threshold"``.
        n_clusters (int, optional): Known K, for ``hac_k`` (and required-K FINCH/C1C), per
            clustering problem: per video with the default ``scope``.
        threshold (float, optional): Cosine distance for ``hac_threshold``; defaults to
            1 - SFace's verification threshold.
        embeddings (str): ``"original"`` or the name of adapted embeddings in the store
            (``"adapted"``, written by :func:`adapt_faces`). Defaults to ``"original"``.
        distance (str): ``"cosine"``, or ``"loss"``: VideoClusterNet's learned distance
            (the adapted model's loss), for ``parameter_free`` on adapted embeddings.
            Defaults to ``"cosine"``.
        scope (str): ``"video"`` (default: each video clustered on its own, so adding videos
            never changes a video's identities) or ``"collection"`` (one clustering over all
            videos: identities span videos). See :func:`cluster_tracks`.
        attach_unknown (bool): Join tracks the quality rules left out to an identity that
            is confidently close; the rest stay ``unknown``. Defaults to True.

    Returns:
        dict: ``num_identities``, ``num_tracks``, ``num_unknown_tracks``, ``num_faces``.
    """
    method_kwargs = _method_kwargs(method, n_clusters, threshold, scope)
    if distance not in ("cosine", "loss"):
        raise ValueError(f"distance must be 'cosine' or 'loss', not {distance!r}")
    if distance == "loss" and method != "parameter_free":
        raise ValueError("distance='loss' works with method 'parameter_free' only")
    ids, _, sizes, faces = _read(sample_collection, in_field)
    fo_io.check_output_field(sample_collection, out_field)
    rules = quality or QualityRules()
    root = _store_root(sample_collection, store_dir)
    heads = set()
    for sid in ids:
        table, det_ids = faces[sid]
        store = FaceStore(root, sid)
        vectors, meta = store.read_embeddings(embeddings)
        heads.add(meta.get("head"))
        rows = np.array([store.row.get(d, -1) for d in det_ids], dtype=np.int64)
        missing = rows < 0
        rows[missing] = 0
        table.embeddings = vectors[rows] if len(store) else np.zeros(
            (len(rows), 128), np.float32)
        table.embeddings[missing] = np.nan  # faces added after embedding: none to use
        table.sharpness = np.where(missing, -1.0, store.arrays["sharpness"][rows]
                                   if len(store) else 0.0).astype(np.float32)
    if distance == "loss":
        if len(heads) != 1 or None in heads:
            raise ValueError(f"distance='loss' needs '{embeddings}' embeddings from one "
                             "adaptation run for all videos: run adapt_faces on this "
                             "collection first")
        from .adaptation.distance import LossDistance

        method_kwargs["distance"] = LossDistance.from_file(heads.pop())
        method_kwargs["fallback"] = None  # a cosine fallback means nothing on the loss scale
    if progress is not None:
        progress(0.5, "clustering")
    return _cluster_and_write(sample_collection, {sid: faces[sid] for sid in ids}, sizes,
                              out_field, rules, method, method_kwargs, run_key, in_field,
                              save_views=save_views,
                              run_config=dict(embeddings=embeddings, distance=distance,
                                              scope=scope, attach_unknown=attach_unknown))


def _cluster_and_write(samples, faces, sizes, out_field, rules, method, method_kwargs,
                       run_key, in_field, extra_writes=None, save_views=True,
                       run_config=None) -> dict:
    config = run_config or {}
    assignment = cluster_tracks({sid: t for sid, (t, _) in faces.items()}, rules, method,
                                scope=config.get("scope", "video"),
                                attach_unknown=config.get("attach_unknown", True),
                                **method_kwargs)
    per_sample = {sid: _identity_frames(t, d, *sizes[sid], assignment[sid])
                  for sid, (t, d) in faces.items()}
    if extra_writes is not None:
        extra_writes()
    fo_io.write_frame_labels(samples, out_field, per_sample)
    num_tracks = sum(len(set(t.tracks[t.tracks >= 0].tolist())) for t, _ in faces.values())
    clustered = sum(len(a) for a in assignment.values())
    identities = sorted({c for a in assignment.values() for c in a.values()})
    summary = dict(num_identities=len(identities), num_tracks=num_tracks,
                   num_unknown_tracks=num_tracks - clustered,
                   num_faces=int(sum(len(t) for t, _ in faces.values())))
    settings = {k: v for k, v in method_kwargs.items() if k != "distance"}  # not JSON
    fo_io.save_run(samples, run_key, dict(
        method=method, **settings, **(run_config or {}), in_field=in_field,
        out_field=out_field, quality=asdict(rules)), dict(
        assignments={sid: {str(t): fo_io.identity_label(c) for t, c in a.items()}
                     for sid, a in assignment.items()}, **summary))
    fo_io.color_by_label(samples, out_field)
    if save_views:
        fo_io.save_identity_views(samples, out_field, run_key,
                                  [fo_io.identity_label(c) for c in identities])
    return summary


def find_identities(sample_collection, faces_field: str = fo_io.FACES_FIELD,
                    identities_field: str = fo_io.IDENTITIES_FIELD,
                    shots_field: str | None = fo_io.SHOTS_FIELD,
                    detector_config: str | None = None, detector_checkpoint: str | None = None,
                    tracker_config: str | None = None, backbone: str = "SFace",
                    backbone_checkpoint: str | None = None, score_thr: float = 0.6,
                    frame_stride: int = 1, method: str = DEFAULT_METHOD,
                    n_clusters: int | None = None, threshold: float | None = None,
                    quality: QualityRules | None = None, store_dir: str | None = None,
                    store_crops: bool = True, embed_stride: int = DEFAULT_EMBED_STRIDE,
                    batch_size: int = 8, device: str = "cpu",
                    run_key: str = DEFAULT_RUN_KEY, scope: str = "video",
                    attach_unknown: bool = True, progress=None) -> dict:
    """The whole pipeline in one decode per video: shots, faces, tracks, embeddings,
    identities (``scope`` and ``attach_unknown`` as :func:`cluster_faces`). Writes ``faces_field``, ``shots_field``, ``identities_field``, the face store
    and a run under ``run_key``; nothing is written unless every video succeeded.
    ``embed_stride``: embed one usable face in n of each track (1: every face).

    Returns:
        dict: counts of videos, shots, faces, tracks, identities and unknown tracks.
    """
    method_kwargs = _method_kwargs(method, n_clusters, threshold, scope)
    ids, paths = _videos(sample_collection)
    fo_io.check_output_field(sample_collection, faces_field)
    fo_io.check_output_field(sample_collection, identities_field)
    detector = _detector(detector_config, detector_checkpoint, score_thr, batch_size, device)
    embedder = _embedder(backbone, backbone_checkpoint, device)
    rules = quality or QualityRules()
    root = _store_root(sample_collection, store_dir)
    results = {}
    with _store_transaction() as writers:
        for k, (sid, path) in enumerate(zip(ids, paths)):
            writers[sid] = FaceStoreWriter(root, sid, store_crops=store_crops)
            r = process_video(path, detector=detector, tracker=_tracker(tracker_config),
                              embedder=embedder, stride=frame_stride,
                              shot_detector=ShotDetector(), store=writers[sid],
                              batch_size=batch_size, embed_stride=embed_stride,
                              embed_rules=rules,
                              progress=_sub_progress(progress, k, len(ids)))
            _finish_store(writers[sid], r)
            results[sid] = r
        if embedder.threshold:  # the embedding model's own verification distance
            if method == "hac_threshold" and threshold is None:
                method_kwargs["threshold"] = 1.0 - embedder.threshold
            elif method in ("parameter_free", "finch", "c1c"):
                method_kwargs["fallback"] = 1.0 - embedder.threshold  # for < 15 tracks

        def write_faces_and_shots():
            _write_faces(sample_collection, faces_field, results)
            if shots_field:
                fo_io.write_sample_labels(sample_collection, shots_field, {
                    sid: fo_io.shots_to_label(r.shots) for sid, r in results.items()})

        summary = _cluster_and_write(
            sample_collection, {sid: (r.faces, r.det_ids) for sid, r in results.items()},
            {sid: (r.width, r.height) for sid, r in results.items()}, identities_field, rules,
            method, method_kwargs, run_key, faces_field, extra_writes=write_faces_and_shots,
            run_config=dict(scope=scope, attach_unknown=attach_unknown))
    return dict(summary, num_videos=len(ids),
                num_shots=int(sum(len(r.shots) for r in results.values())))


def _read_labels(samples, field):
    base = f"frames.{fo_io.frame_field(field)}.detections"
    return samples.values(["frames.frame_number", f"{base}.id", f"{base}.bounding_box",
                           f"{base}.label", f"{base}.index"])


def evaluate_identities(sample_collection, pred_field: str = fo_io.IDENTITIES_FIELD,
                        gt_field: str = GT_FIELD, eval_key: str = DEFAULT_EVAL_KEY,
                        iou_thr: float = 0.5, unknown_policy: str = "own_identity",
                        per_video: bool = False, unclustered: str = "singleton",
                        progress=None) -> dict:
    """Score predicted identities against ground-truth face tracks, as the papers do.

    Predicted faces are matched one-to-one to ground-truth faces of the same frame (IoU >=
    ``iou_thr``). Frame level: every matched face, true label vs predicted identity.
    Track level: every predicted track with a match, its majority true label vs its
    identity (faces without a track count at frame level only). Tracks labelled ``unknown``
    count as clusters of their own. Each predicted
    face gets ``<eval_key>`` = ``correct`` / ``wrong`` (under the Hungarian identity map) /
    ``unmatched``, so errors can be filtered in the App. Metrics are stored as a run.

    ``unclustered="drop"`` leaves out tracks labelled ``unknown`` (VideoClusterNet's
    protocol) instead of scoring each as its own cluster; ``coverage`` says how many were
    clustered. With ``per_video`` each video is its own clustering problem (each was clustered on its
    own): the same label in two videos is two identities, predicted and true alike.

    Returns:
        dict: ``track`` and ``frame`` metrics (WCP, NMI, BCubed, pairwise, Hungarian,
        cluster counts) over the collection, ``per_video`` track metrics, ``c_dif``
        (sum over videos of |K_pred - K_true|), ``coverage`` and matching counts.
    """
    from .evaluation import (apply_unknown_policy, best_map, clustering_metrics,
                             evaluate_tracks, match_faces, track_identities)

    ids, _ = _videos(sample_collection)
    fo_io.require_detections_field(sample_collection, pred_field)
    fo_io.require_detections_field(sample_collection, gt_field)
    pred, gt = _read_labels(sample_collection, pred_field), _read_labels(sample_collection,
                                                                         gt_field)
    faces_true, faces_pred, faces_ref, faces_clustered = [], [], [], []
    tracks_true, tracks_pred = [], []
    counts = dict(pred_faces=0, gt_faces=0, matched_faces=0, unmatched_tracks=0,
                  untracked_faces=0)
    per_video = {}
    for k, sid in enumerate(ids):
        p, g = _flatten(pred, k), _flatten(gt, k)
        counts["pred_faces"] += len(p["frames"])
        counts["gt_faces"] += len(g["frames"])
        match = match_faces(p["frames"], p["boxes"], g["frames"], g["boxes"], iou_thr)
        scope = f"{sid}/" if per_video else ""
        keys = [scope + _cluster_key(sid, lab, idx) for lab, idx in zip(p["labels"], p["index"])]
        truth = [_scoped(scope, g["labels"][j]) if j >= 0 else None for j in match]
        for i in np.flatnonzero(match >= 0):
            faces_true.append(truth[i])
            faces_pred.append(keys[i])
            faces_ref.append((k, p["frame_pos"][i], p["det_pos"][i]))
            faces_clustered.append(p["labels"][i] not in (None, fo_io.UNKNOWN))
        # faces the tracker never confirmed are not tracks: frame level only
        tracked = [i for i, idx in enumerate(p["index"]) if idx is not None]
        counts["untracked_faces"] += len(p["index"]) - len(tracked)
        tracks = [f"{sid}:{p['index'][i]}" for i in tracked]
        label_of = {t: (lab if lab in (None, fo_io.UNKNOWN) else scope + str(lab))
                    for t, lab in zip(tracks, (p["labels"][i] for i in tracked))}
        first = len(tracks_true)
        for t, (label, _) in track_identities(tracks, [truth[i] for i in tracked]).items():
            if label is None:
                counts["unmatched_tracks"] += 1
                continue
            tracks_true.append(label)
            tracks_pred.append(label_of[t])  # "unknown" tracks become singletons there
        if len(tracks_true) > first:
            per_video[sid] = evaluate_tracks(tracks_true[first:], tracks_pred[first:], None,
                                             unknown_policy, unclustered=unclustered)["track"]
    counts["matched_faces"] = len(faces_true)
    if not faces_true:
        raise ValueError(f"no predicted face in '{pred_field}' overlaps a ground-truth face in "
                         f"'{gt_field}' with IoU >= {iou_thr}: check the fields and videos")
    report = evaluate_tracks(tracks_true, tracks_pred, None, unknown_policy,
                             unclustered=unclustered)
    if unclustered == "drop":
        kept = [i for i, c in enumerate(faces_clustered) if c]
        faces_true = [faces_true[i] for i in kept]
        faces_pred = [faces_pred[i] for i in kept]
        faces_ref = [faces_ref[i] for i in kept]
    t, p_, _ = apply_unknown_policy(faces_true, faces_pred, None, unknown_policy)
    report["frame"] = clustering_metrics(t, p_)
    report.update(counts)
    # VCT's #C DIF: the cluster-count error summed over videos, each its own problem
    report["per_video"] = per_video
    report["c_dif"] = int(sum(m["cluster_count_diff"] for m in per_video.values()))
    # per-face verdicts under the frame-level Hungarian map of identities to people
    mapping = best_map(faces_true, faces_pred)
    verdict = {ref: ("correct" if mapping.get(str(pk)) == str(tl) else "wrong")
               for ref, tl, pk in zip(faces_ref, faces_true, faces_pred)}
    det_ids = pred[1]  # read above, same sample and frame order
    sample_collection.select(ids, ordered=True).set_values(
        f"frames.{fo_io.frame_field(pred_field)}.detections.{eval_key}",
        [[[verdict.get((k, fi, di), "unmatched") for di, _ in enumerate(fr or [])]
          for fi, fr in enumerate(vid)] for k, vid in enumerate(det_ids)], dynamic=True)
    fo_io.save_run(sample_collection, eval_key, dict(
        method="identity_evaluation", pred_field=pred_field, gt_field=gt_field,
        iou_thr=float(iou_thr), unknown_policy=unknown_policy, per_video=per_video,
        unclustered=unclustered), report)
    if progress is not None:
        progress(1.0, "evaluated")
    return report


def _scoped(scope: str, label) -> str:
    from .evaluation import is_unknown_name

    return label if is_unknown_name(label) else scope + str(label)


def _cluster_key(sid, label, index) -> str:
    if label is None or str(label) == fo_io.UNKNOWN:
        return f"\0unclustered:{sid}:{index}"  # an unclustered track is its own cluster
    return str(label)


def _flatten(values, k) -> dict:
    numbers, det_ids, boxes, labels, index = (v[k] for v in values)
    out = dict(frames=[], boxes=[], labels=[], index=[], frame_pos=[], det_pos=[])
    for fi, (fn, fb, fl, fx) in enumerate(zip(numbers, boxes, labels, index)):
        for di, (b, lab, idx) in enumerate(zip(fb or [], fl or [], fx or [])):
            out["frames"].append(fn)
            out["boxes"].append(b)
            out["labels"].append(lab)
            out["index"].append(idx)
            out["frame_pos"].append(fi)
            out["det_pos"].append(di)
    out["boxes"] = np.asarray(out["boxes"], np.float64).reshape(-1, 4)
    return out
