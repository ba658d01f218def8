"""The project's MMEngine registries: children of mmengine's roots, scope ``fiftyone_plugin``.

Face-embedding backbones (``SFace``), adaptation models, datasets, loops, hooks and runners
register here; configs in ``mmcfg/`` set ``default_scope = 'fiftyone_plugin'``. The YuNet
detector parts register into mmdet's ``MODELS`` instead, so ``mmdet.apis`` can build them.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

SCOPE = "fiftyone_plugin"

MODELS = Registry("model", parent=MMENGINE_MODELS, scope=SCOPE,
                  locations=["fiftyone_plugin.embedding", "fiftyone_plugin.adaptation"])
DATASETS = Registry("dataset", parent=MMENGINE_DATASETS, scope=SCOPE,
                    locations=["fiftyone_plugin.adaptation"])
TRANSFORMS = Registry("transform", parent=MMENGINE_TRANSFORMS, scope=SCOPE,
                      locations=["fiftyone_plugin.adaptation"])
LOOPS = Registry("loop", parent=MMENGINE_LOOPS, scope=SCOPE,
                 locations=["fiftyone_plugin.adaptation"])
HOOKS = Registry("hook", parent=MMENGINE_HOOKS, scope=SCOPE,
                 locations=["fiftyone_plugin.adaptation"])
RUNNERS = Registry("runner", parent=MMENGINE_RUNNERS, scope=SCOPE,
                   locations=["fiftyone_plugin.adaptation"])


def build_model(cfg: dict):
    """Build from :data:`MODELS` whatever mmengine's current default scope is (e.g. after
    ``mmdet.apis.init_detector`` switched it to ``mmdet``)."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope(SCOPE):
        return MODELS.build(cfg)
