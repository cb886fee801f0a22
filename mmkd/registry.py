"""mmkd's registries: children of mmpretrain's, so every mmpretrain (and mmengine) type resolves
from an mmkd config (``ImageClassifier``, ``LinearClsHead``, ``Accuracy``, ``RandomCrop`` ...),
while mmkd's own types live in scope ``mmkd``.

mmengine looks up an unscoped name in the parent's already-imported modules only, so
:func:`mmkd.utils.register_all_modules` imports mmpretrain's modules before a config is built.
"""
from mmengine.registry import Registry
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRETRAIN_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRETRAIN_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRETRAIN_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import RUNNERS as MMPRETRAIN_RUNNERS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS
from mmpretrain.registry import BATCH_AUGMENTS as MMPRETRAIN_BATCH_AUGMENTS
from mmpretrain.registry import TASK_UTILS as MMPRETRAIN_TASK_UTILS

RUNNERS = Registry('runner', parent=MMPRETRAIN_RUNNERS, locations=['mmkd.engine'])
LOOPS = Registry('loop', parent=MMPRETRAIN_LOOPS, locations=['mmkd.engine'])
HOOKS = Registry('hook', parent=MMPRETRAIN_HOOKS, locations=['mmkd.engine'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMPRETRAIN_LOG_PROCESSORS, locations=['mmkd.engine'])
OPTIMIZERS = Registry('optimizer', parent=MMPRETRAIN_OPTIMIZERS, locations=['mmkd.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMPRETRAIN_OPTIM_WRAPPERS, locations=['mmkd.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmkd.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMPRETRAIN_PARAM_SCHEDULERS, locations=['mmkd.engine'])

DATASETS = Registry('dataset', parent=MMPRETRAIN_DATASETS, locations=['mmkd.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMPRETRAIN_DATA_SAMPLERS, locations=['mmkd.datasets'])
TRANSFORMS = Registry('transform', parent=MMPRETRAIN_TRANSFORMS, locations=['mmkd.datasets'])

MODELS = Registry('model', parent=MMPRETRAIN_MODELS, locations=['mmkd.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMPRETRAIN_MODEL_WRAPPERS, locations=['mmkd.models'])

METRICS = Registry('metric', parent=MMPRETRAIN_METRICS, locations=['mmkd.evaluation'])
EVALUATORS = Registry('evaluator', parent=MMPRETRAIN_EVALUATORS, locations=['mmkd.evaluation'])

VISBACKENDS = Registry('vis_backend', parent=MMPRETRAIN_VISBACKENDS)
VISUALIZERS = Registry('visualizer', parent=MMPRETRAIN_VISUALIZERS)
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMPRETRAIN_WEIGHT_INITIALIZERS)
BATCH_AUGMENTS = Registry('batch augment', parent=MMPRETRAIN_BATCH_AUGMENTS, locations=['mmkd.models'])
TASK_UTILS = Registry('task util', parent=MMPRETRAIN_TASK_UTILS, locations=['mmkd.models'])
