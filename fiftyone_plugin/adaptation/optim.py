"""Optimizer construction for models with an EMA teacher inside."""
from __future__ import annotations

from mmengine.optim import DefaultOptimWrapperConstructor

from ..registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class StudentOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, minus the parameters under ``teacher`` (they move
    by EMA only) and modules frozen for good when the optimizer is built (a frozen
    backbone trunk), so they are neither optimised nor warned about one by one.
    ``paramwise_cfg`` works as usual."""

    def add_params(self, params: list, module, prefix: str = "", **kwargs) -> None:
        if prefix == "teacher" or prefix.startswith("teacher."):
            return
        weights = list(module.parameters())
        if weights and not any(p.requires_grad for p in weights):
            return
        super().add_params(params, module, prefix, **kwargs)
