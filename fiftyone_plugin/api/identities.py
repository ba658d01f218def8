"""Identities: cluster the stored face tracks of a collection and write them back."""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, replace

import numpy as np
from bson import ObjectId

from .. import fo_io
from ..clustering import DEFAULT_HAC_THRESHOLD, DEFAULT_METHOD, ClusteringMethod, make_method
from ..clustering.corrections import constraints as correction_constraints
from ..clustering.videos import check_scope, cluster_tracks
from ..embedding.store import FaceStore
from ..tracking.tracks import FaceTable, QualityRules
from . import runs
from .checks import checking
from .corrections import clustering_run, run_log, write_corrected_labels
from ._common import face_store_root, read_face_tables, require_own_store


DEFAULT_RUN_KEY = fo_io.DEFAULT_RUN_KEY


def clustering_method(method: str, n_clusters: int | None, threshold: float | None,
                      method_params: dict | None, scope: str,
                      verification: float | None = DEFAULT_HAC_THRESHOLD) -> ClusteringMethod:
    """The method config, checked before any work; ``verification`` (the embedder's own
    verification distance) fills the parameter that takes it when the caller left it."""
    check_scope(scope)
    params = dict(method_params or {})
    params.update({k: v for k, v in (("n_clusters", n_clusters), ("threshold", threshold))
                   if v is not None})
    config = make_method(method, **params)
    field = config.verification_field
    if field and getattr(config, field) is None and verification is not None:
        setattr(config, field, float(verification))
    return config


def cluster_faces(sample_collection, in_field: str = fo_io.FACES_FIELD,
                  out_field: str = fo_io.IDENTITIES_FIELD, store_dir: str | None = None,
                  method: str = DEFAULT_METHOD, n_clusters: int | None = None,
                  threshold: float | None = None, method_params: dict | None = None,
                  quality: QualityRules | None = None,
                  embeddings: str = "original", distance: str = "cosine",
                  run_key: str = DEFAULT_RUN_KEY, save_views: bool = True,
                  scope: str = "video", attach_unknown: bool = True,
                  overwrite: bool = False, progress=None) -> dict:
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
        method_params (dict, optional): Any other parameter of the method's config class
            (:mod:`fiftyone_plugin.clustering.methods`).
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
        overwrite (bool): Replace an ``out_field`` this plugin did not write. Defaults to
            False: such a field is an error.

    Returns:
        dict: ``num_identities``, ``num_tracks``, ``num_unknown_tracks``, ``num_faces``.
    """
    with checking() as check:
        check(_check_distance, distance, method)
        config = check(clustering_method, method, n_clusters, threshold, method_params,
                       scope, verification=None if distance == "loss" else
                       DEFAULT_HAC_THRESHOLD)
        check(runs.check_run_key, sample_collection, run_key, runs.IdentityClusteringConfig)
        check(fo_io.check_output_field, sample_collection, out_field, "identities",
              inputs=(in_field,), overwrite=overwrite)
    ids, _, sizes, faces = read_face_tables(sample_collection, in_field)
    rules = quality or QualityRules()
    root = face_store_root(sample_collection, store_dir)
    require_own_store(sample_collection, root)
    heads = with_stored_embeddings(faces, root, embeddings)
    if distance == "loss":
        if len(heads) != 1 or None in heads:
            raise ValueError(f"distance='loss' needs '{embeddings}' embeddings from one "
                             "adaptation run for all videos: run adapt_faces on this "
                             "collection first")
        from ..adaptation.distance import LossDistance

        config.distance = LossDistance.from_file(heads.pop())  # no cosine fallback on it
    if progress is not None:
        progress(0.5, "clustering")
    return cluster_and_write(sample_collection, {sid: faces[sid] for sid in ids}, sizes,
                             out_field, rules, config, run_key, in_field,
                             save_views=save_views,
                             run_config=dict(embeddings=embeddings, distance=distance,
                                             scope=scope, attach_unknown=attach_unknown))


def with_stored_embeddings(faces: dict[str, tuple[FaceTable, list[str]]], root,
                           embeddings: str = "original") -> set:
    """Give each video's faces (``{sample id: (table, detection ids)}``, replaced in place)
    their stored ``embeddings`` and sharpness, by detection id; faces the store does not
    know get NaN. Returns the adapted heads the embeddings name (for the learned
    distance)."""
    heads = set()
    for sid, (table, det_ids) in faces.items():
        store = FaceStore(root, sid)
        vectors, meta = store.read_embeddings(embeddings)
        heads.add(meta.get("head"))
        rows = np.array([store.row.get(d, -1) for d in det_ids], dtype=np.int64)
        missing = rows < 0
        if len(rows) and missing.all():
            raise ValueError(
                f"none of the {len(rows)} faces of video {sid} are in the face store "
                f"({root}): the faces were detected again since they were embedded. Run "
                "embed_faces (or find_identities) again, then cluster")
        rows[missing] = 0
        vectors = vectors[rows] if len(store) else np.zeros(
            (len(rows), vectors.shape[-1] if vectors.ndim == 2 else 1), np.float32)
        vectors[missing] = np.nan  # faces added after embedding: none to use
        sharp = np.where(missing, -1.0, store.arrays["sharpness"][rows]
                         if len(store) else 0.0).astype(np.float32)
        faces[sid] = replace(table, embeddings=vectors, sharpness=sharp), det_ids
    return heads


def recluster(sample_collection, run_key: str = DEFAULT_RUN_KEY, progress=None) -> dict:
    """Run ``cluster_faces`` again with the settings of the clustering run ``run_key``
    (after corrections or review answers, which it then honours)."""
    from ..clustering.methods import method_class

    c, _ = clustering_run(sample_collection, run_key)
    # the method's own settings; the distance is the run's (cluster_faces builds it)
    names = {f.name for f in dataclasses.fields(method_class(c.method))} - {"distance"}
    params = {k: v for k, v in c.serialize().items() if k in names}
    return cluster_faces(sample_collection, in_field=c.in_field, out_field=c.out_field,
                         method=c.method, method_params=params,
                         quality=QualityRules(**c.quality),
                         embeddings=getattr(c, "embeddings", "original"),
                         distance=getattr(c, "distance", "cosine"), run_key=run_key,
                         scope=getattr(c, "scope", "video"),
                         attach_unknown=getattr(c, "attach_unknown", True),
                         progress=progress)


def _check_distance(distance: str, method: str) -> None:
    if distance not in ("cosine", "loss"):
        raise ValueError(f"distance must be 'cosine' or 'loss', not {distance!r}")
    if distance == "loss" and method != "parameter_free":
        raise ValueError("distance='loss' works with method 'parameter_free' only")


def cluster_and_write(samples, faces, sizes, out_field, rules, method: ClusteringMethod,
                      run_key, in_field, save_views=True, run_config=None,
                      crash_point=None) -> dict:
    """Cluster the videos' tracks, then write, save the run and its per-identity views.
    ``faces``: per sample id, ``(FaceTable, detection ids)``."""
    config = run_config or {}
    log = run_log(samples, run_key)  # a re-clustering keeps the users' corrections
    assignment = cluster_tracks({sid: t for sid, (t, _) in faces.items()}, rules, method,
                                scope=config.get("scope", "video"),
                                attach_unknown=config.get("attach_unknown", True),
                                constraints=correction_constraints(log))
    per_sample = {sid: _identity_frames(t, d, *sizes[sid], assignment[sid])
                  for sid, (t, d) in faces.items()}
    fo_io.write_frame_labels(samples, out_field, per_sample, "identities")
    if crash_point is not None:
        crash_point("identities-written")
    num_tracks = sum(len(set(t.tracks[t.tracks >= 0].tolist())) for t, _ in faces.values())
    clustered = sum(len(a) for a in assignment.values())
    identities = sorted({c for a in assignment.values() for c in a.values()})
    summary = dict(num_identities=len(identities), num_tracks=num_tracks,
                   num_unknown_tracks=num_tracks - clustered,
                   num_faces=int(sum(len(t) for t, _ in faces.values())))
    runs.save_run(samples, run_key, runs.IdentityClusteringConfig, dict(
        method=method.name, **method.settings(), **(run_config or {}), in_field=in_field,
        out_field=out_field, quality=asdict(rules)), dict(
        assignments={sid: {str(t): fo_io.identity_label(c) for t, c in a.items()}
                     for sid, a in assignment.items()}, **summary,
        **({"corrections": log} if log else {})))
    if log:
        write_corrected_labels(samples, out_field, run_key, views=save_views)
        return summary
    ids = [fo_io.identity_label(c) for c in identities]
    fo_io.show_identities(samples, out_field, {i: i for i in ids}, in_field)
    if save_views:
        fo_io.save_identity_views(samples, out_field, run_key, ids)
    return summary


def _identity_frames(table: FaceTable, det_ids, width, height, assignment):
    labels = [fo_io.identity_label(assignment[t]) if t in assignment else fo_io.UNKNOWN
              for t in table.tracks.tolist()]
    fresh = [str(ObjectId()) for _ in det_ids]
    return fo_io.faces_to_frames(table, fresh, width, height, labels=labels,
                                 with_landmarks=False)
