"""End to end through the real tools on generated CIFAR-100 (real on-disk format).

baseline teacher -> distillation (1 epoch) -> --resume to 2 epochs -> student-only checkpoint ->
tools/test.py with the plain student config and with the distillation config.
"""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from tests.utils import run_tool

TINY = [
    'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
    'test_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.persistent_workers=False', 'test_dataloader.persistent_workers=False',
    'train_dataloader.batch_size=16', 'val_dataloader.batch_size=50',
    'test_dataloader.batch_size=50', 'randomness.seed=0', 'default_hooks.logger.interval=1'
]


def data_opts(root):
    return [
        f'{k}.dataset.data_root={root}'
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


@pytest.fixture(scope='module')
def teacher_ckpt(tiny_cifar_root, tmp_path_factory):
    """A resnet20 'teacher' trained for one epoch with tools/train.py."""
    work = str(tmp_path_factory.mktemp('teacher'))
    run_tool([
        'tools/train.py', 'configs/baselines/resnet20_cifar100.py', '--work-dir', work,
        '--cfg-options', 'train_cfg.max_epochs=1'
    ] + TINY + data_opts(tiny_cifar_root))
    return osp.join(work, 'epoch_1.pth')


def test_baseline_train_kill_resume_test(tiny_cifar_root, tmp_path):
    work = str(tmp_path)
    base = [
        'tools/train.py', 'configs/baselines/resnet8_cifar100.py', '--work-dir', work,
        '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root)
    run_tool(base + ['train_cfg.max_epochs=1'])
    assert open(osp.join(work, 'last_checkpoint')).read().strip().endswith('epoch_1.pth')
    out = run_tool(base[:4] + ['--resume'] + base[4:] + ['train_cfg.max_epochs=2']).stdout
    assert 'resumed epoch: 1' in out
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    ckpt = safe_load(osp.join(work, 'epoch_2.pth'))
    assert ckpt['meta']['epoch'] == 2
    out = run_tool([
        'tools/test.py', 'configs/baselines/resnet8_cifar100.py',
        osp.join(work, 'epoch_2.pth'), '--work-dir',
        osp.join(work, 'test'), '--out',
        osp.join(work, 'preds.pkl'), '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root)).stdout
    assert re.search(r'^accuracy/top1: \d+\.\d\d$', out, re.M)
    assert re.search(r'^accuracy/top5: \d+\.\d\d$', out, re.M)
    assert osp.isfile(osp.join(work, 'preds.pkl'))


def test_distillation_resume_student_checkpoint(tiny_cifar_root, teacher_ckpt, tmp_path):
    work = str(tmp_path)
    config = 'configs/crd/resnet56_resnet20.py'
    opts = TINY + data_opts(tiny_cifar_root)[1:] + [
        f'train_dataloader.dataset.dataset.data_root={tiny_cifar_root}',
        'model.teacher=configs/_base_/models/resnet20.py', f'model.teacher_ckpt={teacher_ckpt}',
        'model.distill_losses.crd.connector.n_data=200',
        'model.distill_losses.crd.connector.nce_k=16', 'train_dataloader.dataset.nce_k=16'
    ]
    run_tool(['tools/train.py', config, '--work-dir', work, '--cfg-options'] + opts +
             ['train_cfg.max_epochs=1'])
    out = run_tool(['tools/train.py', config, '--work-dir', work, '--resume', '--cfg-options'] +
                   opts + ['train_cfg.max_epochs=2']).stdout
    assert 'resumed epoch: 1' in out
    logs = ''.join(
        open(p).read() for p in sorted(__import__('glob').glob(osp.join(work, '*', '*.log'))))
    assert logs.count('Teacher (measured once)') == 1, 'teacher evaluated more than once'
    assert re.search(r'loss_cls: [0-9.]+\s+loss_crd: [0-9.]+', logs), 'losses not logged per term'

    # the frozen teacher is bit-identical to its checkpoint after training
    full = safe_load(osp.join(work, 'epoch_2.pth'))['state_dict']
    teacher = safe_load(teacher_ckpt)['state_dict']
    for key, value in teacher.items():
        assert torch.equal(full['teacher.' + key], value), key
    # the CRD memory bank is part of the checkpoint (resume continues from it)
    assert full['connectors.crd.memory_s'].shape == (200, 128)

    # student-only checkpoints load strictly into the plain student config
    for name in ('student_last.pth', 'student_best.pth'):
        assert osp.isfile(osp.join(work, name)), name
    student = MODELS.build(Config.fromfile('configs/_base_/models/resnet20.py').model)
    load_checkpoint(student, osp.join(work, 'student_last.pth'), strict=True)
    for key, value in student.state_dict().items():
        assert torch.equal(value, full['student.' + key]), key

    plain = run_tool([
        'tools/test.py', 'configs/baselines/resnet20_cifar100.py',
        osp.join(work, 'student_last.pth'), '--work-dir',
        osp.join(work, 't1'), '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root)).stdout
    distill = run_tool([
        'tools/test.py', config,
        osp.join(work, 'epoch_2.pth'), '--work-dir',
        osp.join(work, 't2'), '--cfg-options'
    ] + opts).stdout
    top1 = [re.search(r'^accuracy/top1: ([0-9.]+)$', o, re.M).group(1) for o in (plain, distill)]
    assert top1[0] == top1[1], 'the student evaluates differently in the two test modes'
