"""One operator per pipeline stage plus one for the whole pipeline (thin adapters)."""
from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from .. import fo_io, stages
from ..clustering import DEFAULT_METHOD
from ..evaluation import UNKNOWN_POLICIES
from .common import field_input, heavy_config, none_if_empty, run_with_progress, sdk_call


CLUSTERING_CHOICES = (
    ("parameter_free", "Parameter-free (VideoClusterNet thresholds; no K, no threshold)"),
    ("c1c", "C1C: FINCH with cannot-links (no K)"),
    ("finch", "FINCH (no K, or a required K)"),
    ("hac_k", "HAC Ward with known K"),
    ("hac_threshold", "HAC average linkage with a distance threshold"),
)


class _StageOperator(foo.Operator):
    """Common ``resolve_input`` / ``execute`` / ``__call__`` for the stage operators."""

    NAME = LABEL = DESCRIPTION = ""
    DELEGATED_BY_DEFAULT = True
    FIELDS: tuple[tuple[str, str, str, str], ...] = ()  # name, default, label, description

    @property
    def config(self):
        return heavy_config(self.NAME, self.LABEL, self.DESCRIPTION, self.DELEGATED_BY_DEFAULT)

    def resolve_input(self, ctx):
        inputs = types.Object()
        for name, default, label, description in self.FIELDS:
            field_input(inputs, name, default, label, description)
        self.extra_inputs(inputs)
        return types.Property(inputs, view=types.View(label=self.LABEL))

    def extra_inputs(self, inputs: types.Object) -> None:
        pass

    def kwargs(self, ctx) -> dict:
        return {name: ctx.params.get(name) or default for name, default, _, _ in self.FIELDS}

    def execute(self, ctx):
        view = ctx.target_view()
        yield from run_with_progress(ctx, self.FUNCTION, view, **self.kwargs(ctx))

    def __call__(self, sample_collection, delegate: bool = False,
                 delegation_target: str | None = None, **params):
        """Run the stage on ``sample_collection`` from Python.

        Example usage::

            import fiftyone.operators as foo
            op = foo.get_operator("@video-face-clustering/faces/find_identities")
            op(dataset, identities_field="frames.identities")
        """
        return sdk_call(self, sample_collection, params, delegate, delegation_target)


def _detector_inputs(inputs: types.Object) -> None:
    inputs.str("detector_config", label="Detector config",
               description="mmdet config file (empty: YuNet)")
    inputs.str("detector_checkpoint", label="Detector checkpoint",
               description="checkpoint for that config (empty: converted YuNet weights)")
    inputs.float("score_thr", default=0.6, label="Minimum face score")
    inputs.int("frame_stride", default=1, label="Frame stride",
               description="process every n-th frame")


class _DetectorStage(_StageOperator):
    """A stage that runs the face detector: adds the detector form and arguments."""

    def extra_inputs(self, inputs):
        _detector_inputs(inputs)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx),
                    detector_config=none_if_empty(ctx.params.get("detector_config")),
                    detector_checkpoint=none_if_empty(ctx.params.get("detector_checkpoint")),
                    score_thr=float(ctx.params.get("score_thr", 0.6)),
                    frame_stride=int(ctx.params.get("frame_stride", 1)))


class DetectFaces(_DetectorStage):
    NAME, LABEL = "detect_faces", "Detect faces"
    DESCRIPTION = "Detect faces, 5 landmarks and shot cuts in every video (MMDetection)"
    FUNCTION = staticmethod(stages.detect_faces)
    FIELDS = (("out_field", fo_io.FACES_FIELD, "Faces field", "frame field to write"),
              ("shots_field", fo_io.SHOTS_FIELD, "Shots field", "sample field to write"))


class TrackFaces(_StageOperator):
    NAME, LABEL = "track_faces", "Track faces"
    DESCRIPTION = "Link faces into tracks (Detection.index) with ByteTrack, reset at shot cuts"
    FUNCTION = staticmethod(stages.track_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with faces"),
              ("shots_field", fo_io.SHOTS_FIELD, "Shots field", "sample field with shots"))


def _embed_stride_input(inputs: types.Object) -> None:
    inputs.int("embed_stride", default=stages.DEFAULT_EMBED_STRIDE, label="Embed stride",
               description="embed one usable face in n of each track (1: every face)")


def _embed_stride(ctx) -> int:
    return int(ctx.params.get("embed_stride") or stages.DEFAULT_EMBED_STRIDE)


class EmbedFaces(_StageOperator):
    NAME, LABEL = "embed_faces", "Embed faces"
    DESCRIPTION = "Align faces and embed a sample of each track (SFace) into the face store"
    FUNCTION = staticmethod(stages.embed_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with faces"),)

    def extra_inputs(self, inputs):
        _embed_stride_input(inputs)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), embed_stride=_embed_stride(ctx))


def _method_inputs(inputs: types.Object) -> None:
    choices = types.Dropdown(label="Clustering method")
    for name, label in CLUSTERING_CHOICES:
        choices.add_choice(name, label=label)
    inputs.enum("method", choices.values(), default=DEFAULT_METHOD, view=choices,
                label="Clustering method")
    inputs.int("n_clusters", label="Number of identities (K)",
               description="only for known-K methods (HAC Ward; optional for FINCH / C1C)")
    inputs.float("threshold", label="Distance threshold",
                 description="only for fixed-threshold HAC (empty: 1 - SFace's 0.363)")
    scopes = types.RadioGroup()
    scopes.add_choice("video", label="Each video on its own")
    scopes.add_choice("collection", label="All videos together (identities span videos)")
    inputs.enum("scope", scopes.values(), default="video", view=scopes, label="Scope")
    inputs.bool("attach_unknown", default=True, label="Attach unknown tracks",
                description="join tiny, blurry or short tracks to an identity that is "
                            "confidently close; the rest stay 'unknown'")


def _method_kwargs(ctx) -> dict:
    n_clusters, threshold = ctx.params.get("n_clusters"), ctx.params.get("threshold")
    return dict(method=ctx.params.get("method") or DEFAULT_METHOD,
                n_clusters=int(n_clusters) if n_clusters else None,
                threshold=float(threshold) if threshold not in (None, "") else None,
                scope=ctx.params.get("scope") or "video",
                attach_unknown=bool(ctx.params.get("attach_unknown", True)))


class ClusterFaces(_StageOperator):
    NAME, LABEL = "cluster_faces", "Cluster face tracks"
    DESCRIPTION = "Group face tracks into identities (id_000, ...) without choosing K"
    FUNCTION = staticmethod(stages.cluster_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with tracked faces"),
              ("out_field", fo_io.IDENTITIES_FIELD, "Identities field", "frame field to write"),
              ("run_key", stages.DEFAULT_RUN_KEY, "Run key", "name of the stored run"))

    DELEGATED_BY_DEFAULT = False  # seconds on stored embeddings

    def extra_inputs(self, inputs):
        _method_inputs(inputs)
        _embedding_inputs(inputs)
        inputs.bool("save_views", default=True, label="Save a view per identity")

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), **_method_kwargs(ctx), **_embedding_kwargs(ctx),
                    save_views=bool(ctx.params.get("save_views", True)))


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


class _TrainingStage(_StageOperator):
    """A stage that trains from an MMEngine config: adds the config-file input."""

    CONFIG_HELP = ""

    def extra_inputs(self, inputs):
        inputs.str("config", label="Config file", description=self.CONFIG_HELP)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), config=none_if_empty(ctx.params.get("config")))


class AdaptFaces(_TrainingStage):
    NAME, LABEL = "adapt_faces", "Adapt face model to videos"
    DESCRIPTION = ("VideoClusterNet self-supervised adaptation (MMEngine) on the videos' own "
                   "tracks; stores adapted embeddings of every face")
    FUNCTION = staticmethod(stages.adapt_faces)
    FIELDS = (("out_embeddings", "adapted", "Adapted embeddings name",
               "name under which the face store keeps them"),
              ("run_key", stages.DEFAULT_ADAPT_KEY, "Run key", "name of the stored run"))
    CONFIG_HELP = "mmcfg/adaptation/*.py (empty: the CPU-sized default)"


class LearnTrackEmbeddings(_TrainingStage):
    NAME, LABEL = "learn_track_embeddings", "Learn track embeddings (VCT)"
    DESCRIPTION = ("VCT-style track transformer (MMEngine), self-supervised on the videos' "
                   "own tracks; stores one embedding per track for any clustering method")
    FUNCTION = staticmethod(stages.learn_track_embeddings)
    FIELDS = (("out_embeddings", "vct", "Track embeddings name",
               "name under which the face store keeps them"),
              ("run_key", stages.DEFAULT_VCT_KEY, "Run key", "name of the stored run"))
    CONFIG_HELP = "mmcfg/adaptation/vct_*.py (empty: video-centralised)"

    def extra_inputs(self, inputs):
        super().extra_inputs(inputs)
        inputs.bool("per_video", default=True, label="One model per video",
                    description="transductive, as the paper; off: one for the collection")

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), per_video=bool(ctx.params.get("per_video", True)))


class EvaluateIdentities(_StageOperator):
    NAME, LABEL = "evaluate_identities", "Evaluate face identities"
    DESCRIPTION = ("Score identities against ground-truth face tracks: WCP, NMI, BCubed F, "
                   "pairwise F, Hungarian accuracy, cluster counts")
    FUNCTION = staticmethod(stages.evaluate_identities)
    FIELDS = (("pred_field", fo_io.IDENTITIES_FIELD, "Identities field", "predicted identities"),
              ("gt_field", stages.GT_FIELD, "Ground-truth field", "true faces with labels"),
              ("eval_key", stages.DEFAULT_EVAL_KEY, "Evaluation key", "name of the stored run"))

    DELEGATED_BY_DEFAULT = False

    def extra_inputs(self, inputs):
        inputs.float("iou_thr", default=0.5, label="IoU to match a face")
        policy = types.Dropdown(label="Unknown ground-truth people")
        for name in UNKNOWN_POLICIES:
            policy.add_choice(name, label=name)
        inputs.enum("unknown_policy", policy.values(), default="own_identity", view=policy)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), iou_thr=float(ctx.params.get("iou_thr", 0.5)),
                    unknown_policy=ctx.params.get("unknown_policy") or "own_identity")


class FindIdentities(_DetectorStage):
    NAME, LABEL = "find_identities", "Find face identities"
    DESCRIPTION = "Whole pipeline in one decode: shots, faces, tracks, embeddings, identities"
    FUNCTION = staticmethod(stages.find_identities)
    FIELDS = (("faces_field", fo_io.FACES_FIELD, "Faces field", "frame field to write"),
              ("identities_field", fo_io.IDENTITIES_FIELD, "Identities field",
               "frame field to write"),
              ("shots_field", fo_io.SHOTS_FIELD, "Shots field", "sample field to write"),
              ("run_key", stages.DEFAULT_RUN_KEY, "Run key", "name of the stored run"))

    def extra_inputs(self, inputs):
        super().extra_inputs(inputs)
        _embed_stride_input(inputs)
        _method_inputs(inputs)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), embed_stride=_embed_stride(ctx), **_method_kwargs(ctx))


OPERATORS = (DetectFaces, TrackFaces, EmbedFaces, AdaptFaces, LearnTrackEmbeddings,
             ClusterFaces, EvaluateIdentities, FindIdentities)
