"""What became of this plugin's scheduled (delegated) runs on a dataset: the open-source App
lists none of them, so a failed run or a queue that no worker serves would go unseen."""
from __future__ import annotations

import os
from datetime import datetime, timezone

PLUGIN = "@video-face-clustering/faces/"
NO_WORKER_AFTER_S = 60.0  # queued this long with nothing running: nobody serves the queue
ACTIVE = ("queued", "scheduled", "running")


def scheduled_runs(dataset, limit: int = 5) -> list[dict]:
    """The plugin's latest delegated runs on ``dataset``, newest first: ``id``,
    ``operator``, ``state``, ``age_s`` (since queued) and ``error`` (its last line)."""
    from fiftyone.factory import DelegatedOperationPagingParams
    from fiftyone.operators.delegated import DelegatedOperationService

    ops = DelegatedOperationService().list_operations(
        dataset_name=dataset.name, paging=DelegatedOperationPagingParams(limit=4 * limit))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = []
    for op in ops:
        if not str(op.operator).startswith(PLUGIN):
            continue
        error = getattr(op.result, "error", None) if op.result else None
        queued = op.queued_at or op.scheduled_at or now
        rows.append(dict(id=str(op.id), operator=op.operator[len(PLUGIN):],
                         state=str(op.run_state), age_s=(now - queued).total_seconds(),
                         error=_last_line(error) if error else None))
    return rows[:limit]


def _last_line(traceback: str) -> str:
    lines = [line for line in str(traceback).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def no_worker(rows: list[dict]) -> bool:
    """Runs have waited in the queue for a while and none is running."""
    after = float(os.environ.get("VFC_NO_WORKER_AFTER_S", NO_WORKER_AFTER_S))
    return (not any(r["state"] == "running" for r in rows)
            and any(r["state"] in ("queued", "scheduled") and r["age_s"] > after
                    for r in rows))


def ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"
