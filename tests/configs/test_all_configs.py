"""Every runnable config under configs/ loads, builds its model and trains one iteration.

The list is read from the folder, so a new config is covered the day it is added. Each config is
shrunk to a batch of 2 on a generated CIFAR (real on-disk format); the real dataset classes,
pipelines, dataset wrappers, data preprocessor, model, optimizer and parameter schedulers are
all built from the config.
"""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

from mmkd.registry import DATASETS, MODELS, PARAM_SCHEDULERS
from tests.utils import ROOT, shrink_config

CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in p)


def test_configs_were_found():
    assert len(CONFIGS) > 250
    assert 'configs/semckd/resnet32x4_resnet8x4.py' in CONFIGS
    assert 'configs/baselines/wrn40_2_cifar100.py' in CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_one_iteration(config, tiny_cifar_root):
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.get('default_scope') == 'mmkd'
    dataset = None
    if cfg.get('train_dataloader'):
        probe = copy.deepcopy(cfg.train_dataloader.dataset)
        shrink_config(Config(dict(train_dataloader=dict(dataset=probe), model={})),
                      tiny_cifar_root)
        dataset = DATASETS.build(probe)
    shrink_config(cfg, tiny_cifar_root, batch_size=2, n_data=len(dataset) if dataset else None)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    if hasattr(model, 'set_epoch'):
        model.set_epoch(0)

    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch_size = cfg.train_dataloader.batch_size
    batch = pseudo_collate([dataset[i] for i in range(batch_size)])
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) else [
        cfg.param_scheduler]
    for sched in schedulers:
        sched = dict(sched)
        sched.setdefault('by_epoch', True)
        if sched['by_epoch']:
            sched['epoch_length'] = 1
        PARAM_SCHEDULERS.build(sched, default_args=dict(optimizer=optim_wrapper.optimizer))
    losses = model.train_step(batch, optim_wrapper)
    assert losses, 'no loss terms'
    for name, value in losses.items():
        assert torch.isfinite(value).all(), f'{name} is not finite: {value}'

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        preds = model(**data, mode='predict')
    assert len(preds) == batch_size
    assert preds[0].pred_score.shape == (len(dataset.metainfo['classes']), )
