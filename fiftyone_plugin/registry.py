"""``<scope>.registry``, where MMEngine looks for a scope's registries when it switches to
scope ``fiftyone_plugin`` (OpenMMLab layout). They live in
:mod:`fiftyone_plugin.adaptation.registry`."""
from .adaptation.registry import *  # noqa: F401,F403
from .adaptation.registry import SCOPE  # noqa: F401
