"""Training operators (MMEngine): face-model adaptation and track embeddings."""
from __future__ import annotations

from .. import api
from .base import StageOperator
from .paths import form_path


class _TrainingStage(StageOperator):
    """A stage that trains from an MMEngine config: adds the config-file input."""

    CONFIG_HELP = ""

    def extra_inputs(self, inputs, ctx):
        inputs.str("config", label="Config file", description=self.CONFIG_HELP)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), config=form_path(ctx.params.get("config"), "config"))


class AdaptFaces(_TrainingStage):
    NAME, LABEL = "adapt_faces", "Adapt face model to videos"
    DESCRIPTION = ("VideoClusterNet self-supervised adaptation (MMEngine) on the videos' own "
                   "tracks; stores adapted embeddings of every face")
    FUNCTION = staticmethod(api.adapt_faces)
    FIELDS = (("out_embeddings", "adapted", "Adapted embeddings name",
               "name under which the face store keeps them"),
              ("run_key", api.DEFAULT_ADAPT_KEY, "Run key", "name of the stored run"))
    RUN_CONFIG = api.runs.FaceAdaptationConfig
    CONFIG_HELP = "mmcfg/adaptation/*.py (empty: the CPU-sized default)"

    def __call__(self, sample_collection, out_embeddings: str | None = None,
                 run_key: str | None = None, config: str | None = None,
                 delegate: bool = False, delegation_target: str | None = None):
        """Adapt the face model to the videos (:func:`fiftyone_plugin.api.adapt_faces`)."""
        return self._call(sample_collection, delegate, delegation_target,
                          out_embeddings=out_embeddings, run_key=run_key, config=config)


class LearnTrackEmbeddings(_TrainingStage):
    NAME, LABEL = "learn_track_embeddings", "Learn track embeddings (VCT)"
    DESCRIPTION = ("VCT-style track transformer (MMEngine), self-supervised on the videos' "
                   "own tracks; stores one embedding per track for any clustering method")
    FUNCTION = staticmethod(api.learn_track_embeddings)
    FIELDS = (("out_embeddings", "vct", "Track embeddings name",
               "name under which the face store keeps them"),
              ("run_key", api.DEFAULT_VCT_KEY, "Run key", "name of the stored run"))
    RUN_CONFIG = api.runs.FaceAdaptationConfig
    CONFIG_HELP = "mmcfg/adaptation/vct_*.py (empty: video-centralised)"

    def extra_inputs(self, inputs, ctx):
        super().extra_inputs(inputs, ctx)
        inputs.bool("per_video", default=True, label="One model per video",
                    description="transductive, as the paper; off: one for the collection")

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), per_video=bool(ctx.params.get("per_video", True)))

    def __call__(self, sample_collection, out_embeddings: str | None = None,
                 run_key: str | None = None, config: str | None = None,
                 per_video: bool | None = None, delegate: bool = False,
                 delegation_target: str | None = None):
        """Learn one embedding per track
        (:func:`fiftyone_plugin.api.learn_track_embeddings`)."""
        return self._call(sample_collection, delegate, delegation_target,
                          out_embeddings=out_embeddings, run_key=run_key, config=config,
                          per_video=per_video)
