"""The stage operators' base classes and the form pieces they share."""
from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from ..pipeline import DEFAULT_EMBED_STRIDE
from .common import field_input, heavy_config, run_with_progress, sdk_call
from .paths import form_path


class StageOperator(foo.Operator):
    """Common ``resolve_input`` / ``execute`` / ``__call__`` for the stage operators."""

    NAME = LABEL = DESCRIPTION = ""
    DELEGATED_BY_DEFAULT = True
    FIELDS: tuple[tuple[str, str, str, str], ...] = ()  # name, default, label, description
    RUN_CONFIG = None  # the run config class its run key names, checked as the form changes

    @property
    def config(self):
        # the form changes with what is chosen: the method's own options, the run key check
        return heavy_config(self.NAME, self.LABEL, self.DESCRIPTION, self.DELEGATED_BY_DEFAULT,
                            dynamic=True)

    def resolve_input(self, ctx):
        inputs = types.Object()
        for name, default, label, description in self.FIELDS:
            if name in READ_FIELDS:
                detections_input(inputs, ctx, name, default, label, description)
                continue
            prop = field_input(inputs, name, default, label, description)
            if name in RUN_KEYS and self.RUN_CONFIG is not None:
                _check_run_key(prop, ctx, ctx.params.get(name) or default, self.RUN_CONFIG)
        self.extra_inputs(inputs, ctx)
        return types.Property(inputs, view=types.View(label=self.LABEL))

    def extra_inputs(self, inputs: types.Object, ctx) -> None:
        pass

    def kwargs(self, ctx) -> dict:
        return {name: ctx.params.get(name) or default for name, default, _, _ in self.FIELDS}

    def execute(self, ctx):
        view = videos_of(ctx.target_view())
        yield from run_with_progress(ctx, self.FUNCTION, view, **self.kwargs(ctx))

    def _call(self, sample_collection, delegate: bool, delegation_target: str | None,
              **params):
        """Run from Python (each operator's typed ``__call__``): the form's parameters,
        ``None`` meaning the form's default; ``delegate`` schedules it for a worker."""
        params = {k: v for k, v in params.items() if v is not None}
        return sdk_call(self, sample_collection, params, delegate, delegation_target)


def videos_of(view):
    """The videos behind the App's view: a clips, frames or patches view (an identity's
    clips, the track map) stands for the videos its clips come from."""
    root = view._root_dataset
    if view._dataset is root:
        return view
    return root.select(view.distinct("sample_id"))


READ_FIELDS = ("in_field", "pred_field")  # chosen among the dataset's frame Detections
RUN_KEYS = ("run_key", "eval_key")


def detections_input(inputs: types.Object, ctx, name: str, default: str, label: str,
                     description: str) -> None:
    """A dropdown of the dataset's frame ``Detections`` fields (free text when it has none)."""
    fields = detection_fields(ctx.dataset) if ctx.dataset is not None else []
    if not fields:
        field_input(inputs, name, default, label, description)
        return
    choices = types.Dropdown(label=label)
    for f in fields:
        choices.add_choice(f, label=f)
    inputs.enum(name, choices.values(), default=default if default in fields else fields[0],
                view=choices, label=label, description=description)


def detection_fields(dataset) -> list[str]:
    """``frames.<name>`` of every frame ``fo.Detections`` field of the dataset."""
    import fiftyone as fo

    schema = dataset.get_frame_field_schema(embedded_doc_type=fo.Detections) or {}
    return [f"frames.{name}" for name in sorted(schema)]


def _check_run_key(prop, ctx, key: str, config_cls) -> None:
    """Mark the run key input invalid (the App then refuses to run or schedule) when the
    key is not valid or holds another kind of run."""
    from ..api import runs

    if ctx.dataset is None:
        return
    try:
        runs.check_run_key(ctx.dataset, key, config_cls)
    except ValueError as e:
        prop.invalid = True
        prop.error_message = str(e)


def detector_inputs(inputs: types.Object) -> None:
    inputs.str("detector_config", label="Detector config",
               description="mmdet config file (empty: YuNet)")
    inputs.str("detector_checkpoint", label="Detector checkpoint",
               description="checkpoint for that config (empty: converted YuNet weights)")
    inputs.float("score_thr", label="Minimum face score",
                 description="empty: the detector config's (YuNet: 0.6)")
    inputs.int("frame_stride", default=1, label="Frame stride",
               description="process every n-th frame")


class DetectorStage(StageOperator):
    """A stage that runs the face detector and writes faces: adds the detector form and
    arguments, and ``overwrite``."""

    def extra_inputs(self, inputs, ctx):
        detector_inputs(inputs)
        overwrite_input(inputs)

    def kwargs(self, ctx):
        from ..assets import cache_dir

        return dict(super().kwargs(ctx),
                    detector_config=form_path(ctx.params.get("detector_config"),
                                              "detector config"),
                    detector_checkpoint=form_path(ctx.params.get("detector_checkpoint"),
                                                  "detector checkpoint",
                                                  also=(cache_dir() / "weights",)),
                    score_thr=(None if ctx.params.get("score_thr") in (None, "")
                               else float(ctx.params["score_thr"])),
                    frame_stride=int(ctx.params.get("frame_stride", 1)),
                    overwrite=overwrite(ctx))


def overwrite_input(inputs: types.Object) -> None:
    inputs.bool("overwrite", default=False, label="Overwrite fields",
                description="replace output fields this plugin did not write (off: such a "
                            "field stops the run before anything happens)")


def overwrite(ctx) -> bool:
    return bool(ctx.params.get("overwrite", False))


def embed_stride_input(inputs: types.Object) -> None:
    inputs.int("embed_stride", default=DEFAULT_EMBED_STRIDE, label="Embed stride",
               description="embed one usable face in n of each track (1: every face)")


def embed_stride(ctx) -> int:
    return int(ctx.params.get("embed_stride") or DEFAULT_EMBED_STRIDE)
