"""Operators over faces: detect, track, embed, or the whole pipeline in one pass."""
from __future__ import annotations

from .. import api, fo_io
from .base import DetectorStage, StageOperator, embed_stride, embed_stride_input
from .identities import method_inputs, method_kwargs


class DetectFaces(DetectorStage):
    NAME, LABEL = "detect_faces", "Detect faces"
    DESCRIPTION = "Detect faces, 5 landmarks and shot cuts in every video (MMDetection)"
    FUNCTION = staticmethod(api.detect_faces)
    FIELDS = (("out_field", fo_io.FACES_FIELD, "Faces field", "frame field to write"),
              ("shots_field", fo_io.SHOTS_FIELD, "Shots field", "sample field to write"))

    def __call__(self, sample_collection, out_field: str | None = None,
                 shots_field: str | None = None, detector_config: str | None = None,
                 detector_checkpoint: str | None = None, score_thr: float | None = None,
                 frame_stride: int | None = None, overwrite: bool | None = None,
                 delegate: bool = False, delegation_target: str | None = None):
        """Detect faces and shot cuts (:func:`fiftyone_plugin.api.detect_faces`).

        Example usage::

            import fiftyone.operators as foo
            detect = foo.get_operator("@video-face-clustering/faces/detect_faces")
            detect(dataset, frame_stride=5)
        """
        return self._call(sample_collection, delegate, delegation_target,
                          out_field=out_field, shots_field=shots_field,
                          detector_config=detector_config,
                          detector_checkpoint=detector_checkpoint, score_thr=score_thr,
                          frame_stride=frame_stride, overwrite=overwrite)


class TrackFaces(StageOperator):
    NAME, LABEL = "track_faces", "Track faces"
    DESCRIPTION = "Link faces into tracks (Detection.index) with ByteTrack, reset at shot cuts"
    FUNCTION = staticmethod(api.track_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with faces"),
              ("shots_field", fo_io.SHOTS_FIELD, "Shots field", "sample field with shots"))

    def __call__(self, sample_collection, in_field: str | None = None,
                 shots_field: str | None = None, delegate: bool = False,
                 delegation_target: str | None = None):
        """Link stored faces into tracks (:func:`fiftyone_plugin.api.track_faces`)."""
        return self._call(sample_collection, delegate, delegation_target, in_field=in_field,
                          shots_field=shots_field)


class EmbedFaces(StageOperator):
    NAME, LABEL = "embed_faces", "Embed faces"
    DESCRIPTION = "Align faces and embed a sample of each track (SFace) into the face store"
    FUNCTION = staticmethod(api.embed_faces)
    FIELDS = (("in_field", fo_io.FACES_FIELD, "Faces field", "frame field with faces"),)

    def extra_inputs(self, inputs, ctx):
        embed_stride_input(inputs)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), embed_stride=embed_stride(ctx))

    def __call__(self, sample_collection, in_field: str | None = None,
                 embed_stride: int | None = None, delegate: bool = False,
                 delegation_target: str | None = None):
        """Align and embed faces into the face store
        (:func:`fiftyone_plugin.api.embed_faces`)."""
        return self._call(sample_collection, delegate, delegation_target, in_field=in_field,
                          embed_stride=embed_stride)


class FindIdentities(DetectorStage):
    NAME, LABEL = "find_identities", "Find face identities"
    DESCRIPTION = "Whole pipeline in one decode: shots, faces, tracks, embeddings, identities"
    FUNCTION = staticmethod(api.find_identities)
    FIELDS = (("faces_field", fo_io.FACES_FIELD, "Faces field", "frame field to write"),
              ("identities_field", fo_io.IDENTITIES_FIELD, "Identities field",
               "frame field to write"),
              ("shots_field", fo_io.SHOTS_FIELD, "Shots field", "sample field to write"),
              ("run_key", api.DEFAULT_RUN_KEY, "Run key", "name of the stored run"))
    RUN_CONFIG = api.runs.IdentityClusteringConfig

    def extra_inputs(self, inputs, ctx):
        super().extra_inputs(inputs, ctx)
        embed_stride_input(inputs)
        method_inputs(inputs, ctx)
        inputs.bool("skip_failures", default=True, label="Skip videos that fail",
                    description="a video that cannot be read is skipped, tagged 'vfc:failed' "
                                "and listed; off: it stops the run (finished videos are kept)")

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), embed_stride=embed_stride(ctx), **method_kwargs(ctx),
                    skip_failures=bool(ctx.params.get("skip_failures", True)))

    def __call__(self, sample_collection, faces_field: str | None = None,
                 identities_field: str | None = None, shots_field: str | None = None,
                 run_key: str | None = None, method: str | None = None, scope: str | None = None,
                 attach_unknown: bool | None = None, detector_config: str | None = None,
                 detector_checkpoint: str | None = None, score_thr: float | None = None,
                 frame_stride: int | None = None, embed_stride: int | None = None,
                 overwrite: bool | None = None, skip_failures: bool | None = None,
                 delegate: bool = False, delegation_target: str | None = None,
                 **method_params):
        """The whole pipeline (:func:`fiftyone_plugin.api.find_identities`);
        ``method_params`` are the method's form options (``n_clusters``, ``threshold``).

        Example usage::

            import fiftyone.operators as foo
            find = foo.get_operator("@video-face-clustering/faces/find_identities")
            find(dataset, frame_stride=5, delegate=True)
        """
        return self._call(sample_collection, delegate, delegation_target,
                          faces_field=faces_field, identities_field=identities_field,
                          shots_field=shots_field, run_key=run_key, method=method, scope=scope,
                          attach_unknown=attach_unknown, detector_config=detector_config,
                          detector_checkpoint=detector_checkpoint, score_thr=score_thr,
                          frame_stride=frame_stride, embed_stride=embed_stride,
                          overwrite=overwrite, skip_failures=skip_failures, **method_params)
