"""An embedding map of a clustering run's face tracks for the App's Embeddings panel: one
point per track (its mean face embedding, projected to 2-D) on a clips view with one clip
per track. The clips come from a sample field of spans, ``<identities field>_tracks``
(``fo.TemporalDetections``: one per track, labelled with its identity's name), so the panel
can colour tracks by ``<field>.label`` and a lasso selects them in the grid."""
from __future__ import annotations

import numpy as np

from .. import fo_io
from ..clustering.common import track_means
from ..embedding.store import FaceStore
from ._common import face_store_root
from .corrections import DEFAULT_RUN_KEY, _state, clustering_run
from .gallery import track_facts


def map_view_name(run_key: str) -> str:
    return f"{run_key}_track_map"  # not "<run_key>-": those are the identities' views


def map_tracks(sample_collection, run_key: str = DEFAULT_RUN_KEY, brain_key: str | None = None,
               tracks_field: str | None = None, overwrite: bool = False,
               progress=None) -> dict:
    """Map the tracks of clustering run ``run_key``: write each track's span and identity
    to the sample field ``tracks_field`` (default ``<identities field>_tracks``), project
    the tracks' mean embeddings to 2-D (t-SNE; PCA below 8 tracks) and store them as FiftyOne
    Brain visualization ``brain_key`` (default ``<run_key>_map``) on the clips of that
    field, saved as the view ``<run_key>_track_map``. Run it again after corrections."""
    import fiftyone as fo
    import fiftyone.brain as fob

    config, results = clustering_run(sample_collection, run_key)
    dataset = sample_collection._dataset
    brain_key = brain_key or f"{run_key}_map"
    if not brain_key.isidentifier():
        raise ValueError(f"invalid brain key {brain_key!r}: use letters, digits and _")
    field = tracks_field or f"{fo_io.frame_field(config.out_field)}_tracks"
    fo_io.check_spans_field(dataset, field, overwrite, kind="tracks")
    _, _, labels, names = _state(results)
    sids = list(results.assignments)
    facts = track_facts(dataset, sids)
    if progress:
        progress(0.1, "writing the tracks' spans")
    per_sample = {sid: fo.TemporalDetections(detections=[
        fo.TemporalDetection(label=names.get(labels[k], labels[k]) if k in labels
                             else fo_io.UNKNOWN, support=[f.first, f.last], index=f.track)
        for k, f in sorted(facts.items()) if k[0] == sid]) for sid in sids}
    fo_io.write_sample_labels(dataset, field, per_sample, "tracks")
    clips = dataset.select(sids).to_clips(field)
    clip_sids, index = clips.values(["sample_id", f"{field}.index"])
    if progress:
        progress(0.3, "projecting the tracks")
    points = _project(_track_vectors(dataset, clip_sids, index,
                                     getattr(config, "embeddings", "original")))
    if brain_key in dataset.list_brain_runs():
        dataset.delete_brain_run(brain_key)
    fob.compute_visualization(clips, points=points, brain_key=brain_key)
    view_name = map_view_name(run_key)
    dataset.save_view(view_name, clips, description=f"one clip per face track of {run_key} "
                      f"(the Embeddings panel's {brain_key!r} map)", overwrite=True)
    return dict(brain_key=brain_key, view=view_name, field=field, num_tracks=len(points))


def _track_vectors(dataset, sids: list[str], index: list[int], embeddings: str) -> np.ndarray:
    """The mean stored embedding of each (sample, track); a track with none gets zeros."""
    root = face_store_root(dataset)
    stores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    faces = []
    for sid, t in zip(sids, index):
        if sid not in stores:
            store = FaceStore(root, sid)
            stores[sid] = (store.table().tracks, store.read_embeddings(embeddings)[0])
        track_ids, vectors = stores[sid]
        rows = vectors[track_ids == t]
        rows = rows[np.isfinite(rows[:, 0])] if len(rows) else rows
        faces.append(rows if len(rows) else np.zeros((1, vectors.shape[1]), np.float32))
    return np.nan_to_num(track_means(faces))


def _project(vectors: np.ndarray) -> np.ndarray:
    """2-D points: t-SNE (cosine) for 8 tracks or more, PCA below (t-SNE needs a few)."""
    n = len(vectors)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=np.float32), np.zeros(n, np.float32)])
    if n < 8:
        from sklearn.decomposition import PCA

        return PCA(2, random_state=0).fit_transform(vectors)
    from sklearn.manifold import TSNE

    return TSNE(2, perplexity=min(30.0, (n - 1) / 3), metric="cosine", init="pca",
                random_state=0).fit_transform(vectors)
