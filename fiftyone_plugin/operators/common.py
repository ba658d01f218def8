"""Form pieces and progress plumbing shared by the operators."""
from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

import fiftyone.operators as foo
import fiftyone.operators.types as types


def heavy_config(name: str, label: str, description: str, delegated: bool = True,
                 dynamic: bool = False) -> foo.OperatorConfig:
    """Immediate or delegated execution with progress; video work defaults to delegated."""
    return foo.OperatorConfig(
        name=name, label=label, description=description, dynamic=dynamic,
        execute_as_generator=True, allow_immediate_execution=True,
        allow_delegated_execution=True, default_choice_to_delegated=delegated, icon=ICON)


ICON = "/assets/icon.svg"  # relative to the plugin folder


def field_input(inputs: types.Object, name: str, default: str, label: str,
                description: str) -> types.Property:
    return inputs.str(name, default=default, label=label, description=description)


def run_with_progress(ctx, fn, *args, **kwargs):
    """Call ``fn(..., progress=...)`` and report to the App.

    Delegated runs report through ``ctx.set_progress``. Immediate runs call ``fn`` in a
    worker thread and yield its progress as it comes (per video, per frame batch), then
    the result as a readable table and a reload; a failure is shown as an error (the
    progress label, a notification and the output) before it is raised, so the App never
    waits on a run that has stopped.
    """
    if ctx.delegated:
        return fn(*args, progress=lambda f, label: ctx.set_progress(progress=f, label=label),
                  **kwargs)
    updates: queue.Queue = queue.Queue()
    yield ctx.trigger("set_progress", dict(progress=0.0, label="starting ..."))
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(fn, *args, progress=lambda f, label: updates.put((f, label)),
                             **kwargs)
        while not future.done() or not updates.empty():
            latest = None
            try:
                latest = updates.get(timeout=PROGRESS_POLL_S)
                while not updates.empty():  # only the newest is worth showing
                    latest = updates.get_nowait()
            except queue.Empty:
                pass
            if latest is not None:
                f, label = latest
                yield ctx.trigger("set_progress", dict(progress=float(f), label=str(label)))
        error = future.exception()
    if error is not None:
        message = f"{type(error).__name__}: {error}"
        yield ctx.trigger("set_progress", dict(progress=1.0, label=f"failed: {message}"))
        yield ctx.trigger("notify", dict(message=message, variant="error"))
        yield ctx.trigger("show_output", dict(outputs=error_output(message).to_json(),
                                              results={}))
        raise error
    result = future.result()
    yield ctx.trigger("set_progress", dict(progress=1.0, label="done"))
    yield ctx.trigger("show_output", dict(outputs=result_output().to_json(),
                                          results={"summary": result_markdown(result)}))
    yield ctx.trigger("reload_dataset")
    return result


PROGRESS_POLL_S = 0.25


def result_markdown(result) -> str:
    """A result dict as a Markdown table (nested dicts, e.g. per-video metrics, flattened
    to dotted names)."""
    if not isinstance(result, dict):
        return str(result)
    rows = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, float):
            rows.append((prefix, f"{value:.4g}"))
        elif isinstance(value, (list, tuple)) and len(value) > 8:
            rows.append((prefix, f"{len(value)} items"))
        else:
            rows.append((prefix, str(value)))

    walk("", result)
    return "| what | value |\n|---|---|\n" + "\n".join(f"| {k.replace('_', ' ')} | {v} |"
                                            for k, v in rows)


def result_output() -> types.Property:
    outputs = types.Object()
    outputs.str("summary", label="Result", view=types.MarkdownView())
    return types.Property(outputs, view=types.View(label="Done"))


def error_output(message: str) -> types.Property:
    outputs = types.Object()
    outputs.view("error", types.Error(label="The run failed", description=message))
    return types.Property(outputs, view=types.View(label="Failed"))


def sdk_call(operator, sample_collection, params: dict, delegate: bool = False,
             delegation_target: str | None = None):
    """``__call__`` body shared by every operator (SDK use)."""
    ctx = dict(view=sample_collection.view(), dataset=sample_collection._dataset)
    return foo.execute_operator(operator.uri, ctx, params=params, request_delegation=delegate,
                                delegation_target=delegation_target)

