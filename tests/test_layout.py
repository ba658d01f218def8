"""The package's import boundaries: inference never pulls in training code."""
import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                          "print('\\n'.join(m for m in sys.modules if m.startswith('fiftyone_plugin')))"],
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
