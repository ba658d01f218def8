"""Every MMEngine registry of the project: children of mmengine's roots, scope
``fiftyone_plugin`` (OpenMMLab layout: ``<scope>.registry`` is where MMEngine looks when it
switches to the scope).

Face-embedding backbones (``SFace``) register from :mod:`fiftyone_plugin.embedding`;
self-supervised models, datasets, loops, hooks and runners from
:mod:`fiftyone_plugin.adaptation`. ``locations`` import those packages on a registry's first
lookup; the models registry names only the embedding package, so building a face embedder
never imports training code (importing ``fiftyone_plugin.adaptation`` registers its models,
as the configs' ``custom_imports`` do). Configs in ``mmcfg/`` set
``default_scope = 'fiftyone_plugin'``. The YuNet detector parts register into mmdet's
``MODELS`` instead, so ``mmdet.apis`` can build them.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = "fiftyone_plugin"

MODELS = Registry("model", parent=MMENGINE_MODELS, scope=SCOPE,
                  locations=["fiftyone_plugin.embedding"])
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
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    "optimizer wrapper constructor", parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE,
    locations=["fiftyone_plugin.adaptation"])
# children without modules of their own, so configs in this scope resolve without warnings
OPTIM_WRAPPERS = Registry("optim_wrapper", parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE)
OPTIMIZERS = Registry("optimizer", parent=MMENGINE_OPTIMIZERS, scope=SCOPE)
PARAM_SCHEDULERS = Registry("parameter scheduler", parent=MMENGINE_PARAM_SCHEDULERS,
                            scope=SCOPE)
DATA_SAMPLERS = Registry("data sampler", parent=MMENGINE_DATA_SAMPLERS, scope=SCOPE)
FUNCTIONS = Registry("function", parent=MMENGINE_FUNCTIONS, scope=SCOPE)
LOG_PROCESSORS = Registry("log_processor", parent=MMENGINE_LOG_PROCESSORS, scope=SCOPE)
MODEL_WRAPPERS = Registry("model_wrapper", parent=MMENGINE_MODEL_WRAPPERS, scope=SCOPE)
VISUALIZERS = Registry("visualizer", parent=MMENGINE_VISUALIZERS, scope=SCOPE)
VISBACKENDS = Registry("vis_backend", parent=MMENGINE_VISBACKENDS, scope=SCOPE)
WEIGHT_INITIALIZERS = Registry("weight initializer", parent=MMENGINE_WEIGHT_INITIALIZERS,
                               scope=SCOPE)

# not MMEngine's: clustering method config classes, one module each (clustering/methods)
CLUSTERING_METHODS = Registry("clustering method", scope=SCOPE,
                              locations=["fiftyone_plugin.clustering.methods"])


def build_model(cfg: dict):
    """Build from :data:`MODELS` whatever mmengine's current default scope is (e.g. after
    ``mmdet.apis.init_detector`` switched it to ``mmdet``)."""
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope(SCOPE):
        return MODELS.build(cfg)
