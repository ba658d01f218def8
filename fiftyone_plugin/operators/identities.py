"""The clustering operator and the method form it shares with ``find_identities``."""
from __future__ import annotations

import fiftyone.operators.types as types

from .. import api, fo_io
from ..clustering import DEFAULT_METHOD, method_names
from ..clustering.methods import method_class, user_options
from .base import StageOperator, overwrite, overwrite_input


def method_inputs(inputs: types.Object) -> None:
    choices = types.Dropdown(label="Clustering method")
    for name in method_names():
        choices.add_choice(name, label=method_class(name).label)
    inputs.enum("method", choices.values(), default=DEFAULT_METHOD, view=choices,
                label="Clustering method")
    for name, (field, methods) in user_options().items():
        add = inputs.int if field.metadata["kind"] is int else (
            inputs.float if field.metadata["kind"] is float else inputs.str)
        add(name, label=field.metadata["label"],
            description=f"only for {', '.join(methods)}: {field.metadata['help']}")
    scopes = types.RadioGroup()
    scopes.add_choice("video", label="Each video on its own")
    scopes.add_choice("collection", label="All videos together (identities span videos)")
    inputs.enum("scope", scopes.values(), default="video", view=scopes, label="Scope")
    inputs.bool("attach_unknown", default=True, label="Attach unknown tracks",
                description="join tiny, blurry or short tracks to an identity that is "
                            "confidently close; the rest stay 'unknown'")


def method_kwargs(ctx) -> dict:
    params = {}
    for name, (field, _) in user_options().items():
        value = ctx.params.get(name)
        if value not in (None, ""):
            params[name] = field.metadata["kind"](value)
    return dict(method=ctx.params.get("method") or DEFAULT_METHOD, method_params=params,
                scope=ctx.params.get("scope") or "video",
                attach_unknown=bool(ctx.params.get("attach_unknown", True)))


class ClusterFaces(StageOperator):
    NAME, LABEL = "cluster_faces", "Cluster face tracks"
    DESCRIPTION = "Group face tracks into identities (id_000, ...) without choosing K"
    FUNCTION = staticmethod(api.cluster_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with tracked faces"),
              ("out_field", fo_io.IDENTITIES_FIELD, "Identities field", "frame field to write"),
              ("run_key", api.DEFAULT_RUN_KEY, "Run key", "name of the stored run"))

    DELEGATED_BY_DEFAULT = False  # seconds on stored embeddings

    def extra_inputs(self, inputs):
        method_inputs(inputs)
        _embedding_inputs(inputs)
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


def _embedding_inputs(inputs: types.Object) -> None:
    inputs.str("embeddings", default="original", label="Embeddings",
               description="'original', or the name given to adapted ones ('adapted')")
    distance = types.Dropdown(label="Distance")
    distance.add_choice("cosine", label="Cosine")
    distance.add_choice("loss", label="Learned (VideoClusterNet loss; adapted, parameter-free)")
    inputs.enum("distance", distance.values(), default="cosine", view=distance)


def _embedding_kwargs(ctx) -> dict:
    return dict(embeddings=ctx.params.get("embeddings") or "original",
                distance=ctx.params.get("distance") or "cosine")
