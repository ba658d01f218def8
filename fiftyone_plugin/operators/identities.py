"""The clustering operator and the method form it shares with ``find_identities``."""
from __future__ import annotations

import fiftyone.operators.types as types

from .. import api, fo_io
from ..clustering import DEFAULT_METHOD, method_names
from ..clustering.methods import method_class, user_options
from .base import StageOperator, overwrite, overwrite_input


def method_inputs(inputs: types.Object, ctx) -> None:
    """The method dropdown, then only the chosen method's own options (K required where
    the method needs it)."""
    choices = types.Dropdown(label="Clustering method")
    for name in method_names():
        choices.add_choice(name, label=method_class(name).label)
    inputs.enum("method", choices.values(), default=DEFAULT_METHOD, view=choices,
                label="Clustering method")
    chosen = ctx.params.get("method") or DEFAULT_METHOD
    cls = method_class(chosen) if chosen in method_names() else method_class(DEFAULT_METHOD)
    for field in cls.user_options():
        add = inputs.int if field.metadata["kind"] is int else (
            inputs.float if field.metadata["kind"] is float else inputs.str)
        add(field.name, label=field.metadata["label"], description=field.metadata["help"],
            required=cls.needs_k and field.name == "n_clusters")
    scopes = types.RadioGroup()
    scopes.add_choice("video", label="Each video on its own")
    scopes.add_choice("collection", label="All videos together (identities span videos)")
    inputs.enum("scope", scopes.values(), default="video", view=scopes, label="Scope")
    inputs.bool("attach_unknown", default=True, label="Attach unknown tracks",
                description="join tiny, blurry or short tracks to an identity that is "
                            "confidently close; the rest stay 'unknown'")


def method_kwargs(ctx) -> dict:
    """The chosen method and its own options (options of others the form held are not
    passed: they would be an error)."""
    method = ctx.params.get("method") or DEFAULT_METHOD
    own = {f.name for f in method_class(method).user_options()} if method in method_names() \
        else set(user_options())
    params = {}
    for name, (field, _) in user_options().items():
        value = ctx.params.get(name)
        if name in own and value not in (None, ""):
            params[name] = field.metadata["kind"](value)
    return dict(method=method, method_params=params,
                scope=ctx.params.get("scope") or "video",
                attach_unknown=bool(ctx.params.get("attach_unknown", True)))


class ClusterFaces(StageOperator):
    NAME, LABEL = "cluster_faces", "Cluster face tracks"
    DESCRIPTION = "Group face tracks into identities (id_000, ...) without choosing K"
    FUNCTION = staticmethod(api.cluster_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with tracked faces"),
              ("out_field", fo_io.IDENTITIES_FIELD, "Identities field", "frame field to write"),
              ("run_key", api.DEFAULT_RUN_KEY, "Run key", "name of the stored run"))
    RUN_CONFIG = api.runs.IdentityClusteringConfig
    DELEGATED_BY_DEFAULT = False  # seconds on stored embeddings

    def extra_inputs(self, inputs, ctx):
        method_inputs(inputs, ctx)
        _embedding_inputs(inputs, ctx)
        inputs.bool("save_views", default=True, label="Save a view per identity")
        overwrite_input(inputs)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), **method_kwargs(ctx), **_embedding_kwargs(ctx),
                    save_views=bool(ctx.params.get("save_views", True)),
                    overwrite=overwrite(ctx))

    def __call__(self, sample_collection, in_field: str | None = None,
                 out_field: str | None = None, run_key: str | None = None,
                 method: str | None = None, scope: str | None = None,
                 attach_unknown: bool | None = None, embeddings: str | None = None,
                 distance: str | None = None, save_views: bool | None = None,
                 overwrite: bool | None = None, delegate: bool = False,
                 delegation_target: str | None = None, **method_params):
        """Cluster stored tracks into identities (:func:`fiftyone_plugin.api.cluster_faces`);
        ``method_params`` are the method's form options (``n_clusters``, ``threshold``).

        Example usage::

            import fiftyone.operators as foo
            cluster = foo.get_operator("@video-face-clustering/faces/cluster_faces")
            cluster(dataset, method="hac_k", n_clusters=6, run_key="ward",
                    out_field="frames.ward")
        """
        return self._call(sample_collection, delegate, delegation_target, in_field=in_field,
                          out_field=out_field, run_key=run_key, method=method, scope=scope,
                          attach_unknown=attach_unknown, embeddings=embeddings,
                          distance=distance, save_views=save_views, overwrite=overwrite,
                          **method_params)


def _embedding_inputs(inputs: types.Object, ctx) -> None:
    names = ["original"] + (stored_embedding_names(ctx.dataset) if ctx.dataset else [])
    stored = types.Dropdown(label="Embeddings")
    for name in names:
        stored.add_choice(name, label=name)
    inputs.enum("embeddings", stored.values(), default="original", view=stored,
                label="Embeddings", description="the face store's embeddings: the originals, "
                "or those adaptation and VCT stored (adapt_faces, learn_track_embeddings)")
    distance = types.Dropdown(label="Distance")
    distance.add_choice("cosine", label="Cosine")
    distance.add_choice("loss", label="Learned (VideoClusterNet loss; adapted, parameter-free)")
    inputs.enum("distance", distance.values(), default="cosine", view=distance)


def stored_embedding_names(dataset) -> list[str]:
    """Names of the other embeddings in the dataset's face store (its first video's)."""
    from ..embedding.store import stored_keys

    root = api.face_store_root(dataset)
    keys = stored_keys(root, dataset.limit(1).values("id"))
    return sorted(p.stem[len("embeddings_"):] for p in (root / keys[0]).glob("embeddings_*.npz")
                  ) if keys else []


def _embedding_kwargs(ctx) -> dict:
    return dict(embeddings=ctx.params.get("embeddings") or "original",
                distance=ctx.params.get("distance") or "cosine")


class MapTracks(StageOperator):
    NAME, LABEL = "map_tracks", "Map face tracks"
    DESCRIPTION = ("A FiftyOne Brain map of a clustering run's tracks (one point per track) "
                   "for the Embeddings panel")
    FUNCTION = staticmethod(api.map_tracks)
    DELEGATED_BY_DEFAULT = False  # seconds: a 2-D projection of the track means

    def extra_inputs(self, inputs, ctx):
        runs = api.corrections.clustering_runs(ctx.dataset)
        choices = types.Dropdown(label="Clustering run")
        for key in runs:
            choices.add_choice(key, label=key)
        inputs.enum("run_key", choices.values(), required=True, view=choices,
                    default=api.DEFAULT_RUN_KEY if api.DEFAULT_RUN_KEY in runs else (
                        runs[0] if runs else None),
                    description="run cluster_faces or find_identities first" if not runs
                    else "its tracks are mapped; open the saved view <run>_track_map, then "
                         "the Embeddings panel")
        inputs.str("brain_key", label="Brain key", description="default: <run>_map")

    def kwargs(self, ctx):
        return dict(run_key=ctx.params.get("run_key") or api.DEFAULT_RUN_KEY,
                    brain_key=ctx.params.get("brain_key") or None)

    def __call__(self, sample_collection, run_key: str | None = None,
                 brain_key: str | None = None, delegate: bool = False,
                 delegation_target: str | None = None):
        """Map a clustering run's tracks (:func:`fiftyone_plugin.api.map_tracks`)."""
        return self._call(sample_collection, delegate, delegation_target, run_key=run_key,
                          brain_key=brain_key)
