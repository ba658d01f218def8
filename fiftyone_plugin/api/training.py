"""Training on a collection's own faces (MMEngine): VideoClusterNet adaptation of the face
model, and VCT track embeddings. Both write embeddings to the face store, not the dataset."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import fo_io
from ..embedding.store import FaceStore
from . import runs
from ._common import collection_videos, face_store_root, require_own_store, sub_progress


DEFAULT_ADAPT_KEY = fo_io.DEFAULT_ADAPT_KEY


def adapt_faces(sample_collection, out_embeddings: str = "adapted", config: str | None = None,
                store_dir: str | None = None, work_dir: str | None = None,
                cfg_options: dict | None = None, run_key: str = DEFAULT_ADAPT_KEY,
                faces_field: str = fo_io.FACES_FIELD, progress=None) -> dict:
    """Adapt the face model to these videos (VideoClusterNet, MMEngine) and store the
    adapted embeddings of every face as ``out_embeddings`` in the face store.

    Trains from ``config`` (default ``mmcfg/adaptation/vcn_sface_tail4_400it_pervideo.py``)
    on the stored crops of the collection's videos (run ``embed_faces`` or
    ``find_identities`` with crops first). The dataset's labels are not touched: cluster
    with ``cluster_faces(..., embeddings=out_embeddings)`` afterwards (cosine; or
    ``distance="loss"``, the paper's learned distance, which over-splits with the default
    matching in BENCHMARKS.md).
    The run (config file, work dir, time) is saved under ``run_key``.

    Args:
        out_embeddings (str): Name of the adapted embeddings. Defaults to ``"adapted"``.
        config (str, optional): Adaptation config file.
        work_dir (str, optional): Logs and checkpoints; defaults to
            ``$VFC_CACHE_DIR/adaptation/<dataset id>/<run_key>``.
        cfg_options (dict, optional): Config overrides (``{"train_cfg.max_iters": 550}``).
        faces_field (str): The faces the store must hold (checked before training).

    Returns:
        dict: ``num_videos``, ``num_tracks``, ``iterations``, ``seconds``, ``work_dir``.
    """
    from ..adaptation.train import DEFAULT_CONFIG

    ids, root = _training_inputs(sample_collection, run_key, store_dir)
    name = fo_io.require_detections_field(sample_collection, faces_field)
    for sid in ids:  # clear errors before any training
        store = FaceStore(root, sid)
        store.crops()
        faces = sample_collection.select(sid).values(f"frames.{name}.detections.id",
                                                     unwind=True)
        if faces and not set(map(str, faces)) & set(store.det_ids):
            raise ValueError(
                f"the faces of video {sid} in 'frames.{name}' are not the ones in the face "
                "store (they were detected again since): run embed_faces (or "
                "find_identities) again, then adapt")
    return _train(sample_collection, ids, root, config or DEFAULT_CONFIG, out_embeddings,
                  _work_dir(sample_collection, run_key, work_dir), cfg_options, progress,
                  run_key=run_key, method="vcn_adaptation")


DEFAULT_VCT_KEY = fo_io.DEFAULT_VCT_KEY


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
            ``$VFC_CACHE_DIR/adaptation/<dataset id>/<run_key>`` (a sub-folder per video).
        cfg_options (dict, optional): Config overrides (``{"train_cfg.max_iters": 400}``).

    Returns:
        dict: ``num_videos``, ``num_tracks``, ``iterations``, ``seconds``, ``work_dir``.
    """
    from ..adaptation.datasets import load_track_sequences
    from ..adaptation.train import REPO_CONFIGS

    ids, root = _training_inputs(sample_collection, run_key, store_dir)
    config = config or REPO_CONFIGS / "vct_videocentral_sface_200it_pervideo.py"
    work_dir = _work_dir(sample_collection, run_key, work_dir)
    # reads every store (a clear error when one is missing) before any training
    trainable = [sid for sid in ids if load_track_sequences(str(root), [sid])[0]]
    if not trainable:
        raise ValueError("no video has a usable face track with embeddings: nothing to "
                         "learn from (run find_identities or embed_faces first)")
    groups = [[sid] for sid in trainable] if per_video else [trainable]
    trained = [_train(sample_collection, group, root, config, out_embeddings,
                      str(Path(work_dir) / group[0]) if per_video else work_dir, cfg_options,
                      sub_progress(progress, k, len(groups)))
               for k, group in enumerate(groups)]
    for sid in set(ids) - set(trainable):  # no usable track: every face stays unknown
        store = FaceStore(root, sid)
        store.write_embeddings(out_embeddings, np.full(
            (len(store), store.embeddings.shape[1]), np.nan, np.float32), dict(level="track"))
    summary = dict(num_videos=len(ids), num_tracks=sum(r["num_tracks"] for r in trained),
                   iterations=sum(r["iterations"] for r in trained),
                   seconds=round(sum(r["seconds"] for r in trained), 1), work_dir=work_dir)
    runs.save_run(sample_collection, run_key, runs.FaceAdaptationConfig, dict(
        method="vct", config=str(config), per_video=per_video,
        out_embeddings=out_embeddings, cfg_options=cfg_options or {}), summary)
    return summary


def _training_inputs(samples, run_key: str, store_dir: str | None) -> tuple[list[str], Path]:
    """The videos and the face store a training run reads, checked before any work."""
    ids, _ = collection_videos(samples)
    runs.check_run_key(samples, run_key, runs.FaceAdaptationConfig)
    root = face_store_root(samples, store_dir)
    require_own_store(samples, root)
    return ids, root


def _work_dir(samples, run_key: str, work_dir: str | None) -> str:
    from ..assets import cache_dir

    # keyed by the dataset's id (never its name) and the run key (a valid identifier)
    return work_dir or str(cache_dir() / "adaptation" / str(samples._dataset._doc.id) / run_key)


def _train(samples, ids, root: Path, config, out_embeddings: str, work_dir: str,
           cfg_options: dict | None, progress, run_key: str | None = None,
           method: str = "") -> dict:
    """Train one adaptation runner on the store of videos ``ids``; with ``run_key``, save
    the run (``method``, config, summary) on ``samples``."""
    import time

    from ..adaptation.hooks import ProgressHook, set_export_name
    from ..adaptation.train import build_runner, load_config

    cfg = load_config(config, work_dir, dataset=samples._dataset.name, store_dir=str(root),
                      ids=list(ids), cfg_options=cfg_options)
    set_export_name(cfg, out_embeddings)
    runner = build_runner(cfg)
    if progress is not None:
        runner.register_hook(ProgressHook(progress))
    start = time.perf_counter()
    runner.train()
    summary = dict(num_videos=len(ids), num_tracks=runner.train_dataloader.dataset.num_tracks,
                   iterations=runner.iter, seconds=round(time.perf_counter() - start, 1),
                   work_dir=str(runner.work_dir))
    if run_key is not None:
        runs.save_run(samples, run_key, runs.FaceAdaptationConfig, dict(
            method=method, config=str(config), out_embeddings=out_embeddings,
            cfg_options=cfg_options or {}), summary)
    return summary
