"""The HSAKD pipeline through the real tools on generated CIFAR-100 (real on-disk format).

baseline teacher checkpoint -> HSAKD teacher, frozen backbone (tools/train.py) and joint
(tools/train.py) -> student distilled from the frozen teacher (tools/train.py) -> tools/test.py
on the exported student_last.pth with the PLAIN student config -> the same pair config through
tools/dist_train.sh with 2 CPU processes (gloo), from the joint teacher.

The baseline is a freshly initialised wrn40_2 saved the way tools/train.py saves a baseline
(training one is covered by tests/tools and would only cost time here). Every run is one or two
iterations on a handful of images.
"""
import os
import os.path as osp
import re
import subprocess

import pytest
import torch
from mmengine.config import Config

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from tests.utils import ROOT, dist_script_env, run_tool


def opts(root, n_train=2, batch=2):
    out = [
        f'{k}.dataset.data_root={root}'
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    for k in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        out += [f'{k}.num_workers=0', f'{k}.persistent_workers=False']
    return out + [
        f'train_dataloader.batch_size={batch}', f'train_dataloader.dataset.indices={n_train}',
        'val_dataloader.batch_size=4', 'val_dataloader.dataset.indices=4',
        'test_dataloader.batch_size=4', 'test_dataloader.dataset.indices=4',
        'train_cfg.max_epochs=1', 'randomness.seed=0', 'default_hooks.logger.interval=1'
    ]


def logs(work):
    return ''.join(
        open(osp.join(d, f)).read() for d, _, files in os.walk(work) for f in files
        if f.endswith('.log'))


@pytest.fixture(scope='module')
def pipeline(tiny_cifar_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('hsakd_pipeline')
    torch.manual_seed(0)
    baseline = MODELS.build(
        Config.fromfile(osp.join(ROOT, 'configs/_base_/models/wrn40_2.py')).model)
    with torch.no_grad():
        for m in baseline.modules():  # trained-looking BN statistics
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.fill_(4.0)
    base_ckpt = str(tmp / 'wrn40_2_baseline.pth')
    torch.save({'meta': {'epoch': 240}, 'state_dict': baseline.state_dict()}, base_ckpt)
    frozen, joint = str(tmp / 'frozen'), str(tmp / 'joint')
    run_tool([
        'tools/train.py', 'configs/hsakd/teachers/wrn40_2_frozen.py', '--work-dir', frozen,
        '--cfg-options', f'model.backbone_ckpt={base_ckpt}'
    ] + opts(tiny_cifar_root))
    run_tool([
        'tools/train.py', 'configs/hsakd/teachers/wrn40_2_joint.py', '--work-dir', joint,
        '--cfg-options'
    ] + opts(tiny_cifar_root))
    return dict(tmp=tmp, base=base_ckpt, frozen=frozen, joint=joint, root=tiny_cifar_root)


def test_teachers_both_modes(pipeline):
    for mode in ('frozen', 'joint'):
        text = logs(pipeline[mode])
        assert re.search(r'loss_cls: \S+\s+loss_aux1: \S+\s+loss_aux2: \S+\s+loss_aux3: \S+',
                         text), mode
        # validation on the 4 rotations; best checkpoint by aux ss accuracy, as the reference
        assert re.search(r'accuracy/top1: \S+.*ss_accuracy/aux1: \S+.*ss_accuracy/top1: \S+',
                         text), mode
        assert osp.isfile(osp.join(pipeline[mode], 'best_ss_accuracy_top1_epoch_1.pth')), mode
    frozen = safe_load(osp.join(pipeline['frozen'], 'epoch_1.pth'))['state_dict']
    joint = safe_load(osp.join(pipeline['joint'], 'epoch_1.pth'))['state_dict']
    base = safe_load(pipeline['base'])['state_dict']
    # frozen mode: backbone, head and BN statistics bit-identical to the baseline after training
    for key, value in base.items():
        assert torch.equal(frozen[key], value), key
    assert any(k.startswith('aux_branches.') for k in frozen)
    assert set(frozen) == set(joint)
    # joint mode trains the backbone (its BN statistics move away from the init's 0/1)
    assert not torch.equal(joint['backbone.block1.layer.0.bn1.running_mean'],
                           torch.zeros_like(joint['backbone.block1.layer.0.bn1.running_mean']))


def test_student_from_frozen_teacher_then_test_plain(pipeline):
    work = str(pipeline['tmp'] / 'student')
    teacher = osp.join(pipeline['frozen'], 'epoch_1.pth')
    run_tool([
        'tools/train.py', 'configs/hsakd/wrn40_2_wrn16_2.py', '--work-dir', work, '--cfg-options',
        f'model.teacher_ckpt={teacher}'
    ] + opts(pipeline['root']))
    text = logs(work)
    assert 'Teacher (measured once)' in text
    assert re.search(
        r'loss_cls: \S+\s+loss_kd_aux1: \S+\s+loss_kd_aux2: \S+\s+'
        r'loss_kd_aux3: \S+\s+loss_kd: \S+', text)
    full = safe_load(osp.join(work, 'epoch_1.pth'))['state_dict']
    for key, value in safe_load(teacher)['state_dict'].items():  # the teacher never changes
        assert torch.equal(full['teacher.' + key], value), key
    student = safe_load(osp.join(work, 'student_last.pth'))['state_dict']
    plain = MODELS.build(Config.fromfile(osp.join(ROOT, 'configs/_base_/models/wrn16_2.py')).model)
    assert list(student) == list(plain.state_dict())  # branches dropped
    for key, value in student.items():
        assert torch.equal(full['student.' + key], value)
    out = run_tool([
        'tools/test.py', 'configs/baselines/wrn16_2_cifar100.py',
        osp.join(work, 'student_last.pth'), '--work-dir',
        osp.join(work, 'test'), '--cfg-options'
    ] + opts(pipeline['root'])).stdout
    assert re.search(r'^accuracy/top1: \d+\.\d\d$', out, re.M)


def test_dist_train_two_cpu_processes(pipeline):
    work = str(pipeline['tmp'] / 'dist')
    teacher = osp.join(pipeline['joint'], 'epoch_1.pth')
    proc = subprocess.run(
        [
            'bash', 'tools/dist_train.sh', 'configs/hsakd/wrn40_2_wrn16_2.py', '2', '--work-dir',
            work, '--cfg-options', f'model.teacher_ckpt={teacher}'
        ] + opts(pipeline['root'], n_train=4),
        cwd=ROOT,
        env=dist_script_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:]
    ckpt = safe_load(osp.join(work, 'epoch_1.pth'))
    assert ckpt['meta']['iter'] == 1  # 4 images, 2 per process and step, 2 processes
    assert osp.isfile(osp.join(work, 'student_last.pth'))
    assert all(
        torch.isfinite(v).all() for v in ckpt['state_dict'].values() if v.is_floating_point())
