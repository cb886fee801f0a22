"""End to end through tools/train.py on generated CIFAR-100: a Tf-KD baseline (1 epoch) keeps its
epoch-1 checkpoint, and a De-KD config loads it as its teacher (Tf-KD README.md Re-KD/De-KD).

The shipped configs run as they are except for the tiny-run options and, in the De-KD config, the
teacher architecture: the baseline trained here is the cheap ShuffleNetV2 rather than ResNet18.
"""
import glob
import json
import os.path as osp

import pytest
import torch

from mmkd.utils.checkpoint import safe_load
from tests.utils import run_tool

TINY = [
    'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
    'test_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.persistent_workers=False', 'test_dataloader.persistent_workers=False',
    'train_dataloader.batch_size=16', 'val_dataloader.batch_size=50',
    'test_dataloader.batch_size=50', 'randomness.seed=0', 'default_hooks.logger.interval=1',
    'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=64',
    'val_dataloader.dataset.indices=50'
]


def data_opts(root):
    return [
        f'{k}.dataset.data_root={root}'
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def logged_lrs(work):
    (scalars, ) = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r['lr'] for r in rows if 'lr' in r and 'loss' in r]


def test_baseline_keeps_epoch1_and_dekd_loads_it(tiny_cifar_root, tmp_path):
    base_work = str(tmp_path / 'baseline')
    run_tool([
        'tools/train.py', 'configs/tfkd/baselines/shufflenetv2_cifar100.py', '--work-dir',
        base_work, '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root))
    kept = osp.join(base_work, 'keep', 'epoch_1.pth')
    assert osp.isfile(kept) and osp.isfile(osp.join(base_work, 'keep', 'best.pth'))
    kept_ckpt = safe_load(kept)
    assert kept_ckpt['meta']['epoch'] == 1
    original = safe_load(osp.join(base_work, 'epoch_1.pth'))['state_dict']
    for key, value in original.items():
        assert torch.equal(kept_ckpt['state_dict'][key], value), key

    # the warm-up: 64 images at batch 16 = 4 iterations, iteration t at 0.1*(t+1)/4
    lrs = logged_lrs(base_work)
    assert lrs == pytest.approx([0.1 * (t + 1) / 4 for t in range(4)], rel=1e-6)

    work = str(tmp_path / 'dekd')
    out = run_tool([
        'tools/train.py', 'configs/tfkd/dekd/resnet18_shufflenetv2_epoch1.py', '--work-dir', work,
        '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root) + [
        'model.teacher.cfg_path=configs/_base_/models/shufflenetv2_tfkd.py',
        f'model.teacher_ckpt={kept}'
    ]).stdout
    assert 'TEACHER IS UNTRAINED' not in out
    full = safe_load(osp.join(work, 'epoch_1.pth'))['state_dict']
    for key, value in kept_ckpt['state_dict'].items():
        assert torch.equal(full['teacher.' + key], value), key
    logs = ''.join(open(p).read() for p in glob.glob(osp.join(work, '*', '*.log')))
    assert 'loss_cls' in logs and 'loss_kd' in logs


def test_dekd_config_points_at_the_kept_checkpoint():
    from mmengine.config import Config

    from tests.utils import ROOT
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tfkd/dekd/resnet18_shufflenetv2_epoch1.py'))
    assert cfg.model.teacher_ckpt == 'work_dirs/tfkd/baselines/resnet18_cifar100/keep/epoch_1.pth'
    base = Config.fromfile(osp.join(ROOT, 'configs/tfkd/baselines/resnet18_cifar100.py'))
    assert dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True) in base.custom_hooks
