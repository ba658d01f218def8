"""The evaluation operator."""
from __future__ import annotations

import fiftyone.operators.types as types

from .. import api, fo_io
from ..evaluation import UNKNOWN_POLICIES
from .base import StageOperator


class EvaluateIdentities(StageOperator):
    NAME, LABEL = "evaluate_identities", "Evaluate face identities"
    DESCRIPTION = ("Score identities against ground-truth face tracks: WCP, NMI, BCubed F, "
                   "pairwise F, Hungarian accuracy, cluster counts")
    FUNCTION = staticmethod(api.evaluate_identities)
    FIELDS = (("pred_field", fo_io.IDENTITIES_FIELD, "Identities field", "predicted identities"),
              ("gt_field", api.GT_FIELD, "Ground-truth field",
               "true faces with labels: `vfc import FORMAT --dataset-dir DIR` (or the "
               "'Import ground truth' operator) adds BBT/Buffy or EasyCom videos with them"),
              ("eval_key", api.DEFAULT_EVAL_KEY, "Evaluation key", "name of the stored run"))
    RUN_CONFIG = api.runs.IdentityEvaluationConfig

    DELEGATED_BY_DEFAULT = False

    def extra_inputs(self, inputs, ctx):
        inputs.float("iou_thr", default=0.5, label="IoU to match a face")
        policy = types.Dropdown(label="Unknown ground-truth people")
        for name in UNKNOWN_POLICIES:
            policy.add_choice(name, label=name)
        inputs.enum("unknown_policy", policy.values(), default="own_identity", view=policy)

    def kwargs(self, ctx):
        return dict(super().kwargs(ctx), iou_thr=float(ctx.params.get("iou_thr", 0.5)),
                    unknown_policy=ctx.params.get("unknown_policy") or "own_identity")

    def __call__(self, sample_collection, pred_field: str | None = None,
                 gt_field: str | None = None, eval_key: str | None = None,
                 iou_thr: float | None = None, unknown_policy: str | None = None,
                 delegate: bool = False, delegation_target: str | None = None):
        """Score identities against ground truth
        (:func:`fiftyone_plugin.api.evaluate_identities`)."""
        return self._call(sample_collection, delegate, delegation_target,
                          pred_field=pred_field, gt_field=gt_field, eval_key=eval_key,
                          iou_thr=iou_thr, unknown_policy=unknown_policy)
