"""Faces: detect, track and embed them, or find identities in one pass per video.

Each function has the FiftyOne utility shape ``f(sample_collection, ..., progress=None)``
and checks all its inputs before a model loads. The single stages compute everything and
only then write in bulk, so one that fails leaves the dataset as it was;
:func:`find_identities` commits each video as it finishes and resumes after a failure.
``progress`` is an optional callable ``progress(fraction, label)``.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, replace

from .. import fo_io
from ..clustering import DEFAULT_HAC_THRESHOLD, DEFAULT_METHOD
from ..embedding.store import FaceStore, FaceStoreWriter, remove_stale_tmp
from ..pipeline import (DEFAULT_EMBED_STRIDE, AlignFaces, DetectFaces, DetectShots, EmbedFaces,
                        StoreCrops, StoredFaces, VideoResult, find_faces_steps,
                        run_video_pass)
from ..tracking.retrack import retrack
from ..tracking.tracks import QualityRules, quality_score
from . import runs
from ._common import (build_detector, build_embedder, build_tracker, crash_point,
                      face_store_root, finish_store, mark_store_owner, read_face_tables,
                      store_transaction, sub_progress, summarize)
from .checks import check_videos, checking
from .identities import (DEFAULT_RUN_KEY, cluster_and_write, clustering_method,
                         with_stored_embeddings)


def detect_faces(sample_collection, out_field: str = fo_io.FACES_FIELD,
                 shots_field: str | None = fo_io.SHOTS_FIELD, detector_config: str | None = None,
                 detector_checkpoint: str | None = None, score_thr: float | None = None,
                 frame_stride: int = 1, batch_size: int = 8, device: str = "cpu",
                 overwrite: bool = False, progress=None) -> dict:
    """Detect faces (boxes, scores, 5 landmarks) and shot cuts in every video.

    Args:
        sample_collection: A FiftyOne video dataset or view.
        out_field (str): Frame field for the faces. Defaults to ``"frames.faces"``.
        shots_field (str, optional): Sample field for the shots (``fo.TemporalDetections``);
            None skips cut detection. Defaults to ``"shots"``.
        detector_config (str, optional): mmdet config; defaults to YuNet.
        detector_checkpoint (str, optional): Its checkpoint; defaults to the converted YuNet
            weights.
        score_thr (float, optional): Minimum face score; defaults to the detector config's
            (0.6 for YuNet).
        frame_stride (int): Process every n-th frame. Defaults to 1.
        batch_size (int): Frames per detector batch. Defaults to 8.
        device (str): Torch device. Defaults to ``"cpu"``.
        overwrite (bool): Replace output fields this plugin did not write. Defaults to
            False: such a field is an error.
        progress (callable, optional): ``progress(fraction, label)``.

    Returns:
        dict: ``num_videos``, ``num_faces``, ``num_shots``, and ``decode_errors`` (videos
        whose decoding stopped early, tagged ``DECODE_ERROR_TAG``).
    """
    with checking() as check:
        ids, paths, _ = check_videos(sample_collection, check)
        check(fo_io.check_output_field, sample_collection, out_field, "faces",
              overwrite=overwrite)
        if shots_field:
            check(fo_io.check_spans_field, sample_collection, shots_field, overwrite)
    detector = build_detector(detector_config, detector_checkpoint, score_thr, batch_size, device)
    results = {}
    for k, (sid, path) in enumerate(zip(ids, paths)):
        steps = [DetectFaces(detector, frame_stride)] + ([DetectShots()] if shots_field else [])
        results[sid] = run_video_pass(path, steps, batch_size,
                                      sub_progress(progress, k, len(ids)))
    _write_faces(sample_collection, out_field, results)
    if shots_field:
        fo_io.write_sample_labels(sample_collection, shots_field, {
            sid: fo_io.shots_to_label(r.shots) for sid, r in results.items()}, "shots")
    return dict(summarize(results), decode_errors=_tag_decode_errors(sample_collection, results))


def _write_faces(samples, field, results: dict[str, VideoResult]) -> None:
    per_sample = {}
    for sid, r in results.items():
        t = r.faces
        q = (quality_score(t.scores, t.sizes, t.sharpness) if t.sharpness is not None
             else None)
        per_sample[sid] = fo_io.faces_to_frames(t, r.det_ids, r.width, r.height, quality=q)
    fo_io.write_frame_labels(samples, field, per_sample, "faces")


DECODE_ERROR_TAG = "vfc:decode_error"


def _tag_decode_errors(samples, results: dict[str, VideoResult]) -> list[dict]:
    """Tag the videos whose decoding stopped early (untag the others) and list them."""
    bad = [sid for sid, r in results.items() if r.decode_error]
    samples.select([sid for sid in results if sid not in bad]).untag_samples(DECODE_ERROR_TAG)
    if bad:
        samples.select(bad).tag_samples(DECODE_ERROR_TAG)
    return [dict(sample_id=sid, filepath=results[sid].path, error=results[sid].decode_error,
                 frames_read=results[sid].num_frames_processed) for sid in bad]


def _shot_starts(samples, shots_field: str | None) -> dict[str, list[int]]:
    if not shots_field or not samples.has_field(shots_field):
        return {}
    ids, supports = samples.values(["id", f"{shots_field}.detections.support"])
    return {sid: sorted(s[0] for s in (sup or [])) for sid, sup in zip(ids, supports)}


def track_faces(sample_collection, in_field: str = fo_io.FACES_FIELD,
                shots_field: str | None = fo_io.SHOTS_FIELD, tracker_config: str | None = None,
                progress=None) -> dict:
    """Link stored faces into tracks (``Detection.index``) with ByteTrack, per shot.

    Needs no decoding: boxes and scores come from ``in_field``, cuts from ``shots_field``.

    Returns:
        dict: ``num_videos``, ``num_faces``, ``num_tracks``.
    """
    ids, _, sizes, faces = read_face_tables(sample_collection, in_field)
    starts = _shot_starts(sample_collection, shots_field)
    tracker = build_tracker(tracker_config)
    results = {}
    for k, sid in enumerate(ids):
        table, det_ids = faces[sid]
        table = replace(table, tracks=retrack(table, starts.get(sid, []), tracker))
        faces[sid] = table, det_ids
        w, h = sizes[sid]
        results[sid] = VideoResult("", w, h, table, det_ids)
        if progress is not None:
            progress((k + 1) / len(ids), f"tracked {k + 1} of {len(ids)} videos")
    # only `index` changes: rewrite it on the existing detections, in bulk
    _set_index(sample_collection, in_field, ids,
               [dict(zip(faces[sid][1], faces[sid][0].tracks.tolist())) for sid in ids])
    return summarize(results)


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
    (its first ones at doubling gaps: :class:`~fiftyone_plugin.pipeline.EmbedSampler`; every
    face with ``embed_stride=1``); write embeddings (+ crops of every face) to the face store.
    Track faces first (``track_faces``): faces outside tracks are all embedded.

    The dataset itself only gains each face's ``quality`` attribute.

    Returns:
        dict: ``num_videos``, ``num_faces`` and ``store`` (its folder).
    """
    ids, paths, sizes, faces = read_face_tables(sample_collection, in_field)
    embedder = build_embedder(backbone, checkpoint, device)
    root = face_store_root(sample_collection, store_dir)
    remove_stale_tmp(root)
    with store_transaction(None if store_dir else sample_collection) as writers:
        results = _stored_passes(
            writers, root, ids, paths, embedder, store_crops, batch_size, progress,
            lambda sid, writer: [StoredFaces(*faces[sid]), AlignFaces(embedder.input_size[0]),
                                 EmbedFaces(embedder, embed_stride), StoreCrops(writer)])
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
    return dict(summarize(results), store=str(root))


def _stored_passes(writers: dict, root, ids, paths, embedder, store_crops: bool,
                   batch_size: int, progress, steps) -> dict[str, VideoResult]:
    """One pass per video that streams its crops to a store writer (``writers``, committed
    by the caller's transaction); ``steps(sid, writer)`` gives that video's steps."""
    results = {}
    for k, (sid, path) in enumerate(zip(ids, paths)):
        writers[sid] = FaceStoreWriter(root, sid, crop_size=embedder.input_size[0],
                                       store_crops=store_crops)
        r = run_video_pass(path, steps(sid, writers[sid]), batch_size,
                           sub_progress(progress, k, len(ids)))
        finish_store(writers[sid], r)
        results[sid] = r
    return results


def find_identities(sample_collection, faces_field: str = fo_io.FACES_FIELD,
                    identities_field: str = fo_io.IDENTITIES_FIELD,
                    shots_field: str | None = fo_io.SHOTS_FIELD,
                    detector_config: str | None = None, detector_checkpoint: str | None = None,
                    tracker_config: str | None = None, backbone: str = "SFace",
                    backbone_checkpoint: str | None = None, score_thr: float | None = None,
                    frame_stride: int = 1, method: str = DEFAULT_METHOD,
                    n_clusters: int | None = None, threshold: float | None = None,
                    method_params: dict | None = None,
                    quality: QualityRules | None = None, store_dir: str | None = None,
                    store_crops: bool = True, embed_stride: int = DEFAULT_EMBED_STRIDE,
                    batch_size: int = 8, device: str = "cpu",
                    run_key: str = DEFAULT_RUN_KEY, scope: str = "video",
                    attach_unknown: bool = True, overwrite: bool = False,
                    skip_failures: bool = True, progress=None) -> dict:
    """The whole pipeline in one decode per video: shots, faces, tracks, embeddings,
    then identities over all videos (``scope`` and ``attach_unknown`` as
    :func:`cluster_faces`). Writes ``faces_field``, ``shots_field``, the face store,
    ``identities_field`` and a run under ``run_key``.

    Everything is checked before a model loads, and every problem found is reported at
    once (:class:`~fiftyone_plugin.api.checks.InvalidInputs`). Then each video is
    committed as soon as it is done (its store, then its faces and shots), so a long
    batch keeps what it finished: a rerun with the same settings skips the videos already
    done (their store and faces agree) and only clusters again. With ``skip_failures``
    (default) a video that cannot be read or processed is skipped, tagged
    ``FAILED_TAG`` and listed in the summary's ``failed``; otherwise it stops the run
    (videos finished before it are kept).

    ``embed_stride``: embed one usable face in n of each track (1: every face);
    ``overwrite``: replace output fields this plugin did not write.

    Returns:
        dict: counts of videos, shots, faces, tracks, identities and unknown tracks;
        ``resumed`` (videos skipped as done), ``failed`` and ``decode_errors`` (as
        :func:`detect_faces`).
    """
    with checking() as check:
        check(clustering_method, method, n_clusters, threshold, method_params, scope,
              verification=None)
        check(runs.check_run_key, sample_collection, run_key, runs.IdentityClusteringConfig)
        ids, paths, failed = check_videos(sample_collection, check, skip_failures)
        check(fo_io.check_output_field, sample_collection, faces_field, "faces",
              overwrite=overwrite)
        check(fo_io.check_output_field, sample_collection, identities_field, "identities",
              inputs=(faces_field,), overwrite=overwrite)
        if shots_field:
            check(fo_io.check_spans_field, sample_collection, shots_field, overwrite)
    rules = quality or QualityRules()
    root = face_store_root(sample_collection, store_dir)
    remove_stale_tmp(root)
    made_by = dict(detector_config=detector_config, detector_checkpoint=detector_checkpoint,
                   score_thr=score_thr, frame_stride=frame_stride,
                   tracker_config=tracker_config, backbone=backbone,
                   backbone_checkpoint=backbone_checkpoint, embed_stride=embed_stride,
                   store_crops=store_crops, quality=asdict(rules), faces_field=faces_field,
                   shots_field=shots_field)
    made_by = {sid: dict(made_by, video=_file_signature(path))
               for sid, path in zip(ids, paths) if sid not in failed}
    todo = [(sid, path) for sid, path in zip(ids, paths) if sid not in failed
            and not _video_done(sample_collection, root, sid, made_by[sid], faces_field,
                                shots_field)]
    embedder = build_embedder(backbone, backbone_checkpoint, device)
    detector = build_detector(detector_config, detector_checkpoint, score_thr, batch_size,
                              device) if todo else None
    decode_errors = []
    for k, (sid, path) in enumerate(todo):
        writer = FaceStoreWriter(root, sid, crop_size=embedder.input_size[0],
                                 store_crops=store_crops)
        try:
            # steps per video: a fresh tracker, cut detector and sampler each
            r = run_video_pass(path, find_faces_steps(
                detector, build_tracker(tracker_config), embedder, writer, frame_stride,
                embed_stride, rules), batch_size, sub_progress(progress, k, len(todo) + 1))
            finish_store(writer, r, made_by[sid])
            writer.commit()
        except Exception as e:
            writer.abort()
            if not skip_failures:
                raise
            failed[sid] = f"{type(e).__name__}: {e}"
            continue
        crash_point("video-stored")
        one = sample_collection.select(sid)
        _write_faces(one, faces_field, {sid: r})
        crash_point("video-faces-written")
        if shots_field:
            fo_io.write_sample_labels(one, shots_field, {sid: fo_io.shots_to_label(r.shots)},
                                      "shots")
        decode_errors += _tag_decode_errors(one, {sid: r})
        if not store_dir:
            mark_store_owner(sample_collection)
    _tag(sample_collection, FAILED_TAG, [sid for sid in ids if sid in failed],
         [sid for sid in ids if sid not in failed])
    done = [sid for sid in ids if sid not in failed]
    if not done:
        raise RuntimeError("every video failed: " + "; ".join(failed.values()))
    if progress is not None:
        progress(len(todo) / (len(todo) + 1), "clustering")
    # every video's faces from the dataset and the store, the same way whether it was
    # computed now or by an earlier, interrupted run
    done_view = sample_collection.select(done, ordered=True)
    _, _, sizes, faces = read_face_tables(done_view, faces_field)
    with_stored_embeddings(faces, root)
    # the embedding model's own verification distance: a fixed HAC cut, or the floor
    # when too few tracks give an impostor bound
    config = clustering_method(
        method, n_clusters, threshold, method_params, scope, verification=(
            1.0 - embedder.threshold if embedder.threshold else DEFAULT_HAC_THRESHOLD))
    crash_point("before-identities")
    summary = cluster_and_write(
        done_view, faces, sizes, identities_field, rules, config, run_key, faces_field,
        run_config=dict(scope=scope, attach_unknown=attach_unknown), crash_point=crash_point)
    shots = done_view.values(f"{shots_field}.detections") if shots_field else []
    return dict(summary, num_videos=len(done), num_shots=int(sum(len(v or []) for v in shots)),
                resumed=len(set(done) - {sid for sid, _ in todo}),
                failed=[dict(sample_id=sid, filepath=paths[ids.index(sid)], error=e)
                        for sid, e in failed.items()],
                decode_errors=decode_errors)


FAILED_TAG = "vfc:failed"


def _tag(samples, tag: str, on: list[str], off: list[str]) -> None:
    if off:
        samples.select(off).untag_samples(tag)
    if on:
        samples.select(on).tag_samples(tag)


def _file_signature(path: str) -> dict:
    """The file a video's faces came from: a replaced or edited file is processed again."""
    st = os.stat(path)
    return dict(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _video_done(samples, root, sid: str, made_by: dict, faces_field: str,
                shots_field: str | None) -> bool:
    """Whether an earlier run finished this video with the same settings: its store was
    made by them and holds exactly the faces the dataset has (a run killed between the
    two writes, or a video detected again since, does not count)."""
    try:
        store = FaceStore(root, sid)
    except FileNotFoundError:
        return False
    if store.made_by != json.loads(json.dumps(made_by, sort_keys=True)):
        return False
    one = samples.select(sid)
    name = fo_io.frame_field(faces_field)
    if name not in (samples.get_frame_field_schema() or {}):
        return False
    if shots_field and (shots_field not in samples.get_field_schema()
                        or one.values(shots_field)[0] is None):
        return False
    stored = one.values(f"frames.{name}.detections.id", unwind=True)
    return sorted(map(str, stored)) == sorted(store.det_ids)
