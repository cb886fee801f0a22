"""mmkd's registries: children of mmpretrain's, so every mmpretrain (and mmengine) type resolves
from an mmkd config (``ImageClassifier``, ``LinearClsHead``, ``Accuracy``, ``RandomCrop`` ...),
while mmkd's own types live in scope ``mmkd``.

Building from a registry imports its ``locations`` first (mmengine's import-on-build), so no
import-everything call is needed before a config is built. mmengine looks an unscoped name up in
the parent registry's already-registered modules without importing the parent's own locations,
so each registry's ``locations`` name mmpretrain's package for that kind of module as well as
mmkd's: ``MODELS.build(dict(type='LinearClsHead', ...))`` works in a fresh process.
"""
from mmengine.registry import Registry
from mmpretrain.registry import BATCH_AUGMENTS as MMPRETRAIN_BATCH_AUGMENTS
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
from mmpretrain.registry import TASK_UTILS as MMPRETRAIN_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS

#: what each kind of registry imports before its first build: mmkd's package and mmpretrain's
ENGINE = ['mmkd.engine', 'mmpretrain.engine']
DATA = ['mmkd.datasets', 'mmpretrain.datasets']
MODEL = ['mmkd.models', 'mmpretrain.models']
EVALUATION = ['mmkd.evaluation', 'mmpretrain.evaluation']
VISUALIZATION = ['mmpretrain.visualization']

RUNNERS = Registry('runner', parent=MMPRETRAIN_RUNNERS, locations=ENGINE)
LOOPS = Registry('loop', parent=MMPRETRAIN_LOOPS, locations=ENGINE)
HOOKS = Registry('hook', parent=MMPRETRAIN_HOOKS, locations=ENGINE)
LOG_PROCESSORS = Registry('log processor', parent=MMPRETRAIN_LOG_PROCESSORS, locations=ENGINE)
OPTIMIZERS = Registry('optimizer', parent=MMPRETRAIN_OPTIMIZERS, locations=ENGINE)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMPRETRAIN_OPTIM_WRAPPERS, locations=ENGINE)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS, locations=ENGINE)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMPRETRAIN_PARAM_SCHEDULERS, locations=ENGINE)

DATASETS = Registry('dataset', parent=MMPRETRAIN_DATASETS, locations=DATA)
DATA_SAMPLERS = Registry('data sampler', parent=MMPRETRAIN_DATA_SAMPLERS, locations=DATA)
TRANSFORMS = Registry('transform', parent=MMPRETRAIN_TRANSFORMS, locations=DATA)

MODELS = Registry('model', parent=MMPRETRAIN_MODELS, locations=MODEL)
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMPRETRAIN_MODEL_WRAPPERS, locations=MODEL)
BATCH_AUGMENTS = Registry('batch augment', parent=MMPRETRAIN_BATCH_AUGMENTS, locations=MODEL)
TASK_UTILS = Registry('task util', parent=MMPRETRAIN_TASK_UTILS, locations=MODEL)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMPRETRAIN_WEIGHT_INITIALIZERS, locations=MODEL)

METRICS = Registry('metric', parent=MMPRETRAIN_METRICS, locations=EVALUATION)
EVALUATORS = Registry('evaluator', parent=MMPRETRAIN_EVALUATORS, locations=EVALUATION)

VISBACKENDS = Registry('vis_backend', parent=MMPRETRAIN_VISBACKENDS, locations=VISUALIZATION)
VISUALIZERS = Registry('visualizer', parent=MMPRETRAIN_VISUALIZERS, locations=VISUALIZATION)
