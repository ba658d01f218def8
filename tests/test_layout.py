"""The house rules: import boundaries, and a test run that needs no package registry."""
import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    listing = "print('\\n'.join(m for m in sys.modules if m.startswith('fiftyone_plugin')))"
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\n" + listing],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_embedding_and_plugin_imports_do_not_load_training():
    for code in ("import fiftyone_plugin.embedding",
                 "import fiftyone_plugin.registry",
                 # building a backbone resolves it in the registry (its locations import once)
                 "from fiftyone_plugin.registry import build_model\n"
                 "build_model(dict(type='SFace'))"):
        loaded = _modules_after(code)
        assert not any(m.startswith("fiftyone_plugin.adaptation") for m in loaded), (code, loaded)


def test_training_registers_its_models_in_the_root_registry():
    loaded = _modules_after("import fiftyone_plugin.adaptation\n"
                            "from fiftyone_plugin.registry import MODELS, RUNNERS\n"
                            "assert MODELS.get('VideoClusterNet') and MODELS.get('SFace')\n"
                            "assert RUNNERS.get('AdaptationRunner')")
    assert "fiftyone_plugin.adaptation.runner" in loaded


def test_weights_and_fixtures_come_from_the_cache_with_the_registry_closed(tmp_path):
    import os

    from .conftest import CLOSED_INDEX

    code = ("from fiftyone_plugin import assets, weights\n"
            "for name, f in assets.fixtures().items():\n"
            "    assert f.fetch() == assets.fixture_path(name)\n"
            "for name in weights.WEIGHTS: assert weights.fetch(name).is_file()\n"
            "print('ok')")
    env = dict(os.environ, PIP_INDEX_URL=CLOSED_INDEX, PIP_NO_INDEX="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    # and a file that is not cached fails instead of downloading
    from fiftyone_plugin import assets

    missing = assets.PackageFile("face_recognition==1.3.0", "nope.tar.gz", "x", "0" * 64,
                                 sdist=True)
    with pytest.raises(assets.AssetError, match="could not download"):
        missing.fetch()
