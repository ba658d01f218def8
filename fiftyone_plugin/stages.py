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
from .clustering.hac import threshold_hac
from .embedding.store import FaceStore, FaceStoreWriter, default_store_root
from .pipeline import VideoResult, process_video
from .shots import ShotDetector
from .tracking.tracks import (FaceTable, QualityRules, cooccurring_pairs, quality_score,
                              track_means)
from .video import probe

DEFAULT_RUN_KEY = "face_identities"


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
                batch_size: int = 8, device: str = "cpu", progress=None) -> dict:
    """Align and embed every stored face; write embeddings (+ crops) to the face store.

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
                              batch_size=batch_size,
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


def cluster_tracks(videos: dict[str, FaceTable], rules: QualityRules,
                   threshold: float) -> dict[str, dict[int, int]]:
    """Group usable tracks of all videos into identities (cannot-link inside each video).

    Returns ``{sample_id: {track id: identity number}}``, identities numbered by the number
    of faces they hold (largest first); unusable tracks are absent (``unknown``).
    """
    keys, means, sizes, cannot = [], [], [], set()
    for sid, table in videos.items():
        usable = rules.usable_tracks(table)
        if not usable:
            continue
        tids, m = track_means(table.embeddings, usable)
        offset = len(keys)
        pos = {t: offset + i for i, t in enumerate(tids)}
        keys += [(sid, t) for t in tids]
        means.append(m)
        sizes += [len(usable[t]) for t in tids]
        for a, b in cooccurring_pairs(table.frames, table.tracks):
            if a in pos and b in pos:
                cannot.add((pos[a], pos[b]))
    if not keys:
        return {sid: {} for sid in videos}
    labels = threshold_hac(np.concatenate(means), threshold, cannot)
    weight = np.bincount(labels, weights=sizes)
    rank = {c: r for r, c in enumerate(sorted(range(len(weight)), key=lambda c: (-weight[c], c)))}
    out: dict[str, dict[int, int]] = {sid: {} for sid in videos}
    for (sid, t), c in zip(keys, labels):
        out[sid][t] = rank[int(c)]
    return out


def _identity_frames(table: FaceTable, det_ids, width, height, assignment):
    labels = [fo_io.identity_label(assignment[t]) if t in assignment else fo_io.UNKNOWN
              for t in table.tracks.tolist()]
    fresh = [str(ObjectId()) for _ in det_ids]
    return fo_io.faces_to_frames(table, fresh, width, height, labels=labels,
                                 with_landmarks=False)


def cluster_faces(sample_collection, in_field: str = fo_io.FACES_FIELD,
                  out_field: str = fo_io.IDENTITIES_FIELD, store_dir: str | None = None,
                  threshold: float | None = None, quality: QualityRules | None = None,
                  run_key: str = DEFAULT_RUN_KEY, progress=None) -> dict:
    """Group face tracks into identities and write ``out_field`` (``id_000``, ...).

    Track embedding = mean of its faces' unit embeddings (from the face store); average-
    linkage clustering cut at ``1 - verification threshold`` of the embedding model (SFace:
    1 - 0.363); tracks sharing a frame never merge. Faces of tracks too short or too poor
    (``quality``) are labelled ``unknown``. The run (config, per-track assignment) is saved
    under ``run_key``.

    Returns:
        dict: ``num_identities``, ``num_tracks``, ``num_unknown_tracks``, ``num_faces``.
    """
    ids, _, sizes, faces = _read(sample_collection, in_field)
    fo_io.check_output_field(sample_collection, out_field)
    rules = quality or QualityRules()
    root = _store_root(sample_collection, store_dir)
    for sid in ids:
        table, det_ids = faces[sid]
        store = FaceStore(root, sid)
        rows = np.array([store.row.get(d, -1) for d in det_ids], dtype=np.int64)
        missing = rows < 0
        rows[missing] = 0
        table.embeddings = store.embeddings[rows] if len(store) else np.zeros(
            (len(rows), 128), np.float32)
        table.sharpness = np.where(missing, -1.0, store.arrays["sharpness"][rows]
                                   if len(store) else 0.0).astype(np.float32)
    return _cluster_and_write(sample_collection, {sid: faces[sid] for sid in ids}, sizes,
                              out_field, rules, threshold, run_key, in_field)


def _cluster_and_write(samples, faces, sizes, out_field, rules, threshold, run_key,
                       in_field, extra_writes=None) -> dict:
    threshold = 1.0 - 0.363 if threshold is None else threshold
    assignment = cluster_tracks({sid: t for sid, (t, _) in faces.items()}, rules, threshold)
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
    fo_io.save_run(samples, run_key, dict(
        method="threshold_hac", linkage="average", threshold=float(threshold),
        in_field=in_field, out_field=out_field, quality=asdict(rules)), dict(
        assignments={sid: {str(t): fo_io.identity_label(c) for t, c in a.items()}
                     for sid, a in assignment.items()}, **summary))
    return summary


def find_identities(sample_collection, faces_field: str = fo_io.FACES_FIELD,
                    identities_field: str = fo_io.IDENTITIES_FIELD,
                    shots_field: str | None = fo_io.SHOTS_FIELD,
                    detector_config: str | None = None, detector_checkpoint: str | None = None,
                    tracker_config: str | None = None, backbone: str = "SFace",
                    backbone_checkpoint: str | None = None, score_thr: float = 0.6,
                    frame_stride: int = 1, threshold: float | None = None,
                    quality: QualityRules | None = None, store_dir: str | None = None,
                    store_crops: bool = True, batch_size: int = 8, device: str = "cpu",
                    run_key: str = DEFAULT_RUN_KEY, progress=None) -> dict:
    """The whole pipeline in one decode per video: shots, faces, tracks, embeddings,
    identities. Writes ``faces_field``, ``shots_field``, ``identities_field``, the face store
    and a run under ``run_key``; nothing is written unless every video succeeded.

    Returns:
        dict: counts of videos, shots, faces, tracks, identities and unknown tracks.
    """
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
                              batch_size=batch_size,
                              progress=_sub_progress(progress, k, len(ids)))
            _finish_store(writers[sid], r)
            results[sid] = r
        if threshold is None and embedder.threshold is not None:
            threshold = 1.0 - embedder.threshold

        def write_faces_and_shots():
            _write_faces(sample_collection, faces_field, results)
            if shots_field:
                fo_io.write_sample_labels(sample_collection, shots_field, {
                    sid: fo_io.shots_to_label(r.shots) for sid, r in results.items()})

        summary = _cluster_and_write(
            sample_collection, {sid: (r.faces, r.det_ids) for sid, r in results.items()},
            {sid: (r.width, r.height) for sid, r in results.items()}, identities_field, rules,
            threshold, run_key, faces_field, extra_writes=write_faces_and_shots)
    return dict(summary, num_videos=len(ids),
                num_shots=int(sum(len(r.shots) for r in results.values())))
