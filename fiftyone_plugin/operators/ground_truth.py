"""The ground-truth import operator; its choices and options come from the importers' table."""
from __future__ import annotations

import fiftyone.operators.types as types

from .. import fo_io
from ..datasets import IMPORTERS, import_ground_truth, import_options
from .base import StageOperator


def _import_into(sample_collection, format: str, dataset_dir: str,  # noqa: A002
                 gt_field: str, progress=None, **options) -> dict:
    """Imports into the collection's dataset (new samples with their ground truth)."""
    return import_ground_truth(sample_collection._dataset, format, dataset_dir,
                               fo_io.frame_field(gt_field), progress=progress, **options)


class ImportGroundTruth(StageOperator):
    NAME, LABEL = "import_ground_truth", "Import face ground truth"
    DESCRIPTION = ("Add the videos of a literature dataset (BBT/Buffy tracks on your episodes, "
                   "EasyCom) with their ground-truth faces in frames.gt_faces")
    FUNCTION = staticmethod(_import_into)
    FIELDS = (("dataset_dir", "", "Dataset folder",
               "; ".join(f"{n}: {c.DATASET_DIR}" for n, c in sorted(IMPORTERS.items()))),
              ("gt_field", fo_io.GT_FIELD, "Ground-truth field", "frame field to write"))
    DELEGATED_BY_DEFAULT = False

    def extra_inputs(self, inputs, ctx):
        formats = types.Dropdown(label="Format")
        for name in sorted(IMPORTERS):
            formats.add_choice(name, label=name)
        inputs.enum("format", formats.values(), required=True, view=formats, label="Format")
        for name, (opt, formats_) in import_options().items():
            description = f"{', '.join(formats_)}: {opt.help}"
            if opt.kind is int:
                inputs.int(name, label=name, description=description)
            else:  # lists as comma-separated text
                inputs.str(name, label=name, description=description)

    def kwargs(self, ctx):
        fmt = ctx.params.get("format")
        if fmt not in IMPORTERS:
            raise ValueError(f"choose a format: {sorted(IMPORTERS)}")
        out = dict(super().kwargs(ctx), format=fmt)
        for opt in IMPORTERS[fmt].OPTIONS:
            value = ctx.params.get(opt.name)
            if value in (None, ""):
                continue
            if opt.kind is list:
                value = [opt.item(v.strip()) for v in str(value).split(",") if v.strip()]
            out[opt.name] = opt.kind(value) if opt.kind is not list else value
        return out

    def __call__(self, sample_collection, format: str, dataset_dir: str,  # noqa: A002
                 gt_field: str | None = None, delegate: bool = False,
                 delegation_target: str | None = None, **options):
        """Import ground truth into the collection's dataset
        (:func:`fiftyone_plugin.datasets.import_ground_truth`); ``options`` are the
        format's (``video_dir``, ``castlist_dir``, ``splits`` as ``"val,test"``, ...).

        Example usage::

            import fiftyone.operators as foo
            imp = foo.get_operator("@video-face-clustering/faces/import_ground_truth")
            imp(dataset, format="easycom", dataset_dir="/data/EasyCom", splits="val")
        """
        return self._call(sample_collection, delegate, delegation_target, format=format,
                          dataset_dir=dataset_dir, gt_field=gt_field, **options)
