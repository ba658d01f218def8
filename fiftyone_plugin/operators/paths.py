"""Files named in an App form: config files run Python when loaded, so a form may only name
the plugin's own configs or directories its administrator allows.

Allow more directories in the App config (``~/.fiftyone/app_config.json``, or the file
``FIFTYONE_APP_CONFIG_PATH`` names)::

    {"plugins": {"@video-face-clustering/faces": {"config_dirs": ["/srv/face-configs"]}}}

The library API and the ``vfc`` command take any path: their callers run code anyway.
"""
from __future__ import annotations

from pathlib import Path

PLUGIN_NAME = "@video-face-clustering/faces"
MMCFG_DIR = Path(__file__).resolve().parents[2] / "mmcfg"


def allowed_dirs() -> list[Path]:
    """``mmcfg/`` and the plugin settings' ``config_dirs`` (weights also from the cache)."""
    import fiftyone as fo

    settings = (fo.app_config.plugins or {}).get(PLUGIN_NAME) or {}
    extra = settings.get("config_dirs") or []
    return [MMCFG_DIR] + [Path(d).expanduser().resolve() for d in extra]


def form_path(value: str | None, what: str, also: tuple[Path, ...] = ()) -> str | None:
    """``value`` resolved, if it lies inside an allowed directory (or ``also``); None when
    empty; otherwise a ``ValueError`` that says how to allow it."""
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = MMCFG_DIR.parent / path  # "mmcfg/..." as the help text writes it
    path = path.resolve()
    dirs = allowed_dirs() + [Path(d).resolve() for d in also]
    if not any(path.is_relative_to(d) for d in dirs):
        raise ValueError(
            f"{what} {value!r} is outside the directories a form may use "
            f"({', '.join(str(d) for d in dirs)}): copy it into one of them, or add its "
            f"directory to \"config_dirs\" under plugins.{PLUGIN_NAME} in the App config")
    if not path.is_file():
        raise ValueError(f"{what} {value!r} not found")
    return str(path)
