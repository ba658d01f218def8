"""The plugin's runs as FiftyOne run classes.

Each kind of run knows what it wrote, so ``dataset.delete_run(key)`` removes its fields and
saved views and ``dataset.rename_run(key, new)`` renames its saved views (FiftyOne calls
:meth:`cleanup` and :meth:`rename`). Runs are stored in ``dataset.runs`` with their config
class; a run is registered only after its results were computed and written.
"""
from __future__ import annotations

import fiftyone.core.runs as fors

from .. import fo_io


class _PluginRunConfig(fors.RunConfig):
    """A run config whose ``kind`` says which of the plugin's runs it is."""

    kind = ""  # a class attribute: not serialized


class _PluginRun(fors.Run):
    """Base of the plugin's runs (stored in ``dataset.runs``, like FiftyOne's generic runs);
    :func:`check_run_key` validates a key before any work."""


class IdentityClusteringConfig(_PluginRunConfig):
    """``cluster_faces`` / ``find_identities``: ``method`` and its parameters, ``in_field``,
    ``out_field``, ``scope``, ``attach_unknown``, quality rules."""

    kind = "cluster"


class IdentityClustering(_PluginRun):
    def get_fields(self, samples, key):
        return [self.config.out_field]

    def cleanup(self, samples, key):
        """Removes the identities field and the run's per-identity saved views."""
        dataset = samples._dataset
        name = fo_io.frame_field(self.config.out_field)
        if dataset.has_frame_field(name):
            dataset.delete_frame_field(name)
        for view in _identity_views(dataset, key):
            dataset.delete_saved_view(view)

    def rename(self, samples, key, new_key):
        dataset = samples._dataset
        for view in _identity_views(dataset, key):
            dataset.update_saved_view_info(view, dict(name=new_key + view[len(key):]))


class IdentityEvaluationConfig(_PluginRunConfig):
    """``evaluate_identities``: ``pred_field``, ``gt_field``, the protocol's settings."""

    kind = "evaluate"


class IdentityEvaluation(_PluginRun):
    def get_fields(self, samples, key):
        return [self.config.pred_field, self.config.gt_field]

    def cleanup(self, samples, key):
        """Removes the per-face verdict attribute ``<pred_field>.detections.<key>``."""
        dataset = samples._dataset
        if dataset.has_frame_field(self._verdicts(key)):
            dataset.delete_frame_field(self._verdicts(key))

    def rename(self, samples, key, new_key):
        dataset = samples._dataset
        if dataset.has_frame_field(self._verdicts(key)):
            dataset.rename_frame_field(self._verdicts(key), self._verdicts(new_key))

    def _verdicts(self, key: str) -> str:
        return f"{fo_io.frame_field(self.config.pred_field)}.detections.{key}"


class FaceAdaptationConfig(_PluginRunConfig):
    """``adapt_faces`` (``method="vcn_adaptation"``) and ``learn_track_embeddings``
    (``method="vct"``): config file, options, the store embeddings they wrote."""

    kind = "train"


class FaceAdaptation(_PluginRun):
    """Training runs write to the face store, not to the dataset: nothing to clean here."""


def _identity_views(dataset, key: str) -> list[str]:
    return [v for v in dataset.list_saved_views() if v.startswith(f"{key}-")]


def check_run_key(samples, key: str, config_cls: type[_PluginRunConfig]) -> None:
    """Refuses, before any work, a key FiftyOne would refuse or that holds a run of another
    kind (replacing it would leave that run's outputs without an owner)."""
    if not isinstance(key, str) or not key.isidentifier():
        raise ValueError(f"run key {key!r} is not valid: use letters, digits and "
                         "underscores, not starting with a digit (e.g. 'face_identities')")
    dataset = samples._dataset
    if key in dataset.list_runs():
        existing = dataset.get_run_info(key).config
        if isinstance(existing, _PluginRunConfig) and type(existing) is not config_cls:
            raise ValueError(f"run key {key!r} holds a run of another kind "
                             f"({existing.kind}); choose another key or delete that run")


def save_run(samples, key: str, config_cls: type[_PluginRunConfig], config: dict,
             results: dict) -> None:
    """Registers a finished run (config + results), replacing one of the same key without
    cleaning it up: the new run owns the fields it has just written."""
    dataset = samples._dataset
    if key in dataset.list_runs():
        fors.Run.delete_run(dataset, key, cleanup=False)
    cfg = config_cls(**config)
    dataset.register_run(key, cfg, cleanup=False)
    dataset.save_run_results(key, dataset.init_run_results(key, **results))


def list_runs(samples) -> list[tuple[str, str, object, object]]:
    """``(key, kind, config, results)`` of every run of the plugin, oldest first; runs of
    earlier versions (plain configs) get their kind from their method."""
    dataset = samples._dataset
    out = []
    for key in dataset.list_runs():
        cfg = dataset.get_run_info(key).config
        kind = getattr(cfg, "kind", "") or {
            "identity_evaluation": "evaluate", "vcn_adaptation": "train",
            "vct": "train"}.get(getattr(cfg, "method", None), "cluster")
        out.append((key, kind, cfg, dataset.load_run_results(key)))
    return out
