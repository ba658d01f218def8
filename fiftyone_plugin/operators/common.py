"""Form pieces and progress plumbing shared by the operators."""
from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types


def heavy_config(name: str, label: str, description: str, delegated: bool = True,
                 dynamic: bool = False) -> foo.OperatorConfig:
    """Immediate or delegated execution with progress; video work defaults to delegated."""
    return foo.OperatorConfig(
        name=name, label=label, description=description, dynamic=dynamic,
        execute_as_generator=True, allow_immediate_execution=True,
        allow_delegated_execution=True, default_choice_to_delegated=delegated)


def field_input(inputs: types.Object, name: str, default: str, label: str,
                description: str) -> types.Property:
    return inputs.str(name, default=default, label=label, description=description)


def run_with_progress(ctx, fn, *args, **kwargs):
    """Call ``fn(..., progress=...)``; yield App progress triggers when immediate.

    Delegated runs report through ``ctx.set_progress``. Immediate runs cannot yield from
    inside the library call, so they report start and end, then the summary.
    """
    if ctx.delegated:
        result = fn(*args, progress=lambda f, label: ctx.set_progress(progress=f, label=label),
                    **kwargs)
        return result
    yield ctx.trigger("set_progress", dict(progress=0.0, label="working ..."))
    result = fn(*args, **kwargs)
    yield ctx.trigger("set_progress", dict(progress=1.0, label="done"))
    yield ctx.trigger("notify", dict(message=str(result), variant="success"))
    yield ctx.trigger("reload_dataset")
    return result


def sdk_call(operator, sample_collection, params: dict, delegate: bool = False,
             delegation_target: str | None = None):
    """``__call__`` body shared by every operator (SDK use)."""
    ctx = dict(view=sample_collection.view(), dataset=sample_collection._dataset)
    return foo.execute_operator(operator.uri, ctx, params=params, request_delegation=delegate,
                                delegation_target=delegation_target)

