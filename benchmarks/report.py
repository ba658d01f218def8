"""Output helpers shared by the benchmark scripts."""
from __future__ import annotations

import json
from pathlib import Path


def write_json(path: str | None, data) -> None:
    """Write ``data`` as indented JSON to ``path`` (creating its folder); no-op for None."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2))
