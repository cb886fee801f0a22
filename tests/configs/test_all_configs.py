"""Every runnable config under configs/ builds; one of each kind trains one iteration.

The list is read from the folder, so a new config (or a new folder of them) is covered the day it
is added, without editing this file. Each config is shrunk to a batch of 2 on a generated CIFAR
(real on-disk format; STL-10 and Tiny-ImageNet are generated in their own formats) and then:

* **builds** (every config, full tier): the train/val/test dataloaders are built with mmengine's
  ``Runner.build_dataloader`` and give one batch through the real pipelines and collate function;
  the model is built from the config, so every connector is built from the feature shapes the
  distiller measures on its networks; the optimizer wrapper(s) (one or an ``OptimWrapperDict``)
  and every parameter scheduler are built the way mmengine's Runner builds them. Checked: the
  dataset and the model agree on the class count, every trainable parameter is in an optimizer,
  no frozen teacher parameter is. To keep this cheap, networks built from the same network config
  are built once and copied (:func:`shared_networks`): the copies are independent modules of the
  same structure, which is all a structure check needs. A dataloader config seen before in
  the session (the same dict after shrinking) is checked once (:func:`build_loader`).
* **trains one iteration** (the first config of each kind, in sorted order): the model is built
  again the way users build it (no shared networks, ``init_weights``), takes one ``train_step``
  (every loss finite) and predicts the batch. A config's kind is read from its built model:
  ``(model class, the mmkd/mmpretrain modules outside the backbones, i.e. the method's losses,
  connectors, heads and necks; the student's backbone class; the train dataset class)``, i.e. one
  per method base x backbone family x dataset.

Tiers: the quick tier (``tools/run_tests.sh --quick``) runs one config per family (top-level
folder of configs/, the first config directly in it), which builds and trains; the full tier
runs them all.
"""
import collections
import copy
import glob
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.runner import Runner

from mmkd.models.distillers import builder_utils
from mmkd.registry import MODELS, PARAM_SCHEDULERS
from tests.utils import ROOT, shrink_config

CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in p)


def family_of(config: str) -> str:
    """``configs/<family>/...``: the top-level folder."""
    return config.split('/')[1]


def family_representatives(configs):
    """One config per family: the first (sorted) directly in its folder, else the first in it."""
    reps = {}
    for config in configs:
        fam = family_of(config)
        direct = config.count('/') == 2
        if fam not in reps or (direct and reps[fam].count('/') > 2):
            reps[fam] = config
    return set(reps.values())


FAMILY_REPS = family_representatives(CONFIGS)
PARAMS = [
    pytest.param(c, id=c, marks=() if c in FAMILY_REPS else pytest.mark.slow) for c in CONFIGS
]

#: kinds already trained in this session (see the module docstring)
TRAINED_KINDS = {}


def test_configs_were_found():
    assert len(CONFIGS) > 250
    assert 'configs/semckd/resnet32x4_resnet8x4.py' in CONFIGS
    assert 'configs/baselines/wrn40_2_cifar100.py' in CONFIGS
    assert 'configs/kd/resnet110_resnet20.py' in FAMILY_REPS
    assert len(FAMILY_REPS) == len({family_of(c) for c in CONFIGS})
    assert not any('/_base_/' in c for c in CONFIGS)


# ----------------------------------------------------------------------------- shared networks
class _NetworkCache:
    """``build_classifier`` memoised on the network config (returns copies); least recently used
    networks are dropped beyond ``max_params`` parameters in all (~400 MB of float32)."""

    def __init__(self, build, max_params=100_000_000):
        self.build, self.max_params = build, max_params
        self.nets = collections.OrderedDict()  # key -> (network, its parameter count)

    def __call__(self, spec):
        key = json.dumps(spec, sort_keys=True, default=str)
        if key not in self.nets:
            net = self.build(spec)
            self.nets[key] = (net, sum(p.numel() for p in net.parameters()))
            while len(self.nets) > 1 and sum(n for _, n in self.nets.values()) > self.max_params:
                self.nets.popitem(last=False)
        self.nets.move_to_end(key)
        return copy.deepcopy(self.nets[key][0])


_CACHE = _NetworkCache(builder_utils.build_classifier)


@pytest.fixture
def shared_networks(monkeypatch):
    """Distillers build their student/teacher/peers through the shared-network cache."""
    for name, module in list(sys.modules.items()):
        if name.startswith('mmkd.') and getattr(module, 'build_classifier', None) is \
                builder_utils.build_classifier:
            monkeypatch.setattr(module, 'build_classifier', _CACHE)
    yield


# ----------------------------------------------------------------------------- helpers
def shrunk_config(config: str, data_root: str) -> Config:
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.get('default_scope') == 'mmkd'
    shrink_config(cfg, data_root, batch_size=2)
    return cfg


class LoaderInfo(
        collections.namedtuple('LoaderInfo', 'dataset_len classes dataset_type num_batches batch')):
    """What the tests need of a built dataloader: its dataset's size, class count and class,
    its length in batches and its first batch."""


#: dataloader config (JSON) -> LoaderInfo, for the configs already checked in this session
_LOADERS = {}


def build_loader(cfg: Config, key: str) -> LoaderInfo:
    """Build ``cfg[key]`` as the Runner does and check its first batch (once per distinct
    dataloader config: the same dict builds the same loader, seed 0)."""
    spec = json.dumps(
        cfg[key].to_dict() if hasattr(cfg[key], 'to_dict') else cfg[key],
        sort_keys=True,
        default=str)
    if spec not in _LOADERS:
        loader = Runner.build_dataloader(copy.deepcopy(cfg[key]), seed=0)
        batch = next(iter(loader))
        assert len(batch['inputs']) == cfg[key].batch_size, key
        assert batch['inputs'][0].dim() == 3 and batch['inputs'][0].shape[0] == 3, key
        dataset = loader.dataset
        _LOADERS[spec] = LoaderInfo(
            len(dataset), len(dataset.metainfo['classes']), type(dataset), len(loader), batch)
    return _LOADERS[spec]


def build_model(cfg: Config):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return MODELS.build(model_cfg)


def build_schedulers(cfg: Config, optim_wrapper, epoch_length: int):
    """The parameter schedulers as mmengine's Runner builds them (one list per optim wrapper)."""
    if not cfg.get('param_scheduler'):
        return []
    wrappers = (
        dict(optim_wrapper.items()) if isinstance(optim_wrapper, OptimWrapperDict) else {
            None: optim_wrapper
        })
    train_cfg = cfg.get('train_cfg') or {}
    built = []
    for name, wrapper in wrappers.items():
        scheds = cfg.param_scheduler
        if name is not None and isinstance(scheds, dict) and 'type' not in scheds:
            scheds = scheds[name]
        for sched in (scheds if isinstance(scheds, (list, tuple)) else [scheds]):
            sched = copy.deepcopy(dict(sched))
            end = train_cfg.get('max_epochs') if sched.get('by_epoch', True) else \
                train_cfg.get('max_iters')
            if end is not None:
                sched.setdefault('end', end)
            built.append(
                PARAM_SCHEDULERS.build(
                    sched, default_args=dict(optimizer=wrapper, epoch_length=epoch_length)))
    return built


def optimized_params(optim_wrapper):
    wrappers = (
        list(optim_wrapper.values())
        if isinstance(optim_wrapper, OptimWrapperDict) else [optim_wrapper])
    return {id(p) for w in wrappers for g in w.optimizer.param_groups for p in g['params']}


def num_classes(model):
    net = getattr(model, 'student', model)
    head = getattr(net, 'head', None)
    return getattr(head, 'num_classes', None)


def kind_of(model, dataset_type) -> tuple:
    """(model class, method modules outside the backbones, student backbone, dataset class)."""
    method = set()
    for name, module in model.named_modules():
        if 'backbone' in name.split('.'):
            continue
        if type(module).__module__.startswith(('mmkd.', 'mmpretrain.')):
            method.add(type(module).__name__)
    product = getattr(model, 'student', model)
    backbone = getattr(product, 'backbone', product)
    return (type(model).__name__, tuple(sorted(method)), type(backbone).__name__,
            dataset_type.__name__)


def check_structure(cfg: Config, model, classes: int, optim_wrapper):
    if num_classes(model) is not None:
        assert num_classes(model) == classes, 'the model and the dataset disagree on the classes'
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable, 'nothing to train'
    assert trainable <= optimized_params(optim_wrapper), 'a trainable parameter has no optimizer'
    if 'teacher_ckpt' in cfg.model:  # a teacher loaded from a checkpoint is frozen
        frozen = {id(p) for p in model.teacher.parameters()}
        assert not (frozen & trainable), 'a teacher parameter is trainable'


def train_one_iteration(model, optim_wrapper, batch, classes: int):
    torch.manual_seed(0)
    model.init_weights()  # as the Runner does (the shared networks are re-initialised too)
    model.train()
    if hasattr(model, 'set_epoch'):
        model.set_epoch(0)
    losses = model.train_step(batch, optim_wrapper)
    assert losses, 'no loss terms'
    for name, value in losses.items():
        assert torch.isfinite(value).all(), f'{name} is not finite: {value}'
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        preds = model(**data, mode='predict')
    assert len(preds) == len(batch['inputs'])
    assert preds[0].pred_score.shape == (classes, )


@pytest.mark.parametrize('config', PARAMS)
def test_config_builds_and_first_of_its_kind_trains(config, tiny_cifar_root, shared_networks):
    cfg = shrunk_config(config, tiny_cifar_root)
    train = build_loader(cfg, 'train_dataloader')
    # CRD's memory holds one row per training sample
    shrink_config(cfg, tiny_cifar_root, batch_size=2, n_data=train.dataset_len)
    for key in ('val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            build_loader(cfg, key)

    torch.manual_seed(0)
    model = build_model(cfg)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    build_schedulers(cfg, optim_wrapper, epoch_length=train.num_batches)
    check_structure(cfg, model, train.classes, optim_wrapper)

    kind = kind_of(model, train.dataset_type)
    if kind in TRAINED_KINDS:
        return  # trained as TRAINED_KINDS[kind]
    TRAINED_KINDS[kind] = config
    train_one_iteration(model, optim_wrapper, train.batch, train.classes)
