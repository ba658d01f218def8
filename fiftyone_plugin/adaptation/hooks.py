"""Hooks that report training to the outside world."""
from __future__ import annotations

from typing import Callable

from mmengine.hooks import Hook

from ..registry import HOOKS


@HOOKS.register_module()
class ProgressHook(Hook):
    """Call ``callback(fraction, label)`` every ``interval`` iterations (a FiftyOne operator
    passes ``ctx.set_progress``; MMEngine code never imports FiftyOne).

    Args:
        callback (callable): ``callback(fraction, label)``.
        interval (int): Iterations between calls. Defaults to 10.
    """

    priority = "LOW"

    def __init__(self, callback: Callable[[float, str], None], interval: int = 10) -> None:
        self.callback = callback
        self.interval = interval

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        done = runner.iter + 1
        if self.every_n_train_iters(runner, self.interval) or done == runner.max_iters:
            loss = float(outputs["loss"]) if outputs and "loss" in outputs else float("nan")
            self.callback(done / runner.max_iters,
                          f"adaptation: iteration {done}/{runner.max_iters}, loss {loss:.3f}")
