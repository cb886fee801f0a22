"""A UNIXKD config through tools/train.py on generated CIFAR-100 (real on-disk format): the
computation is logged per iteration and per epoch, the student checkpoint loads into the plain
student, and --resume continues bit-identically (the transform's seed and iteration counter
travel in the checkpoint)."""
import os.path as osp
import re

import pytest
import torch

from mmkd.models.distillers.builder_utils import build_classifier, load_weights_strict
from mmkd.utils.checkpoint import safe_load
from tests.tools.test_train_resume_test import data_opts
from tests.utils import run_tool

CONFIG = 'configs/unixkd/resnet56_resnet20.py'
# resnet8 student and teacher (untrained), batch 16 of 200 images: 12 full batches + one of 8
OPTS = [
    'model.student.cfg_path=configs/_base_/models/resnet8.py',
    'model.teacher.cfg_path=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
    'model.batch_transform.batch_size=16', 'model.batch_transform.k=12',
    'model.batch_transform.b=8', 'train_dataloader.batch_size=16', 'train_dataloader.num_workers=2',
    'train_dataloader.persistent_workers=False', 'val_dataloader.batch_size=50',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'randomness.seed=3', 'default_hooks.logger.interval=5'
]


def weights(path):
    return safe_load(path)['state_dict']


@pytest.mark.slow
def test_unixkd_trains_logs_its_computation_and_resumes_exactly(tiny_cifar_root, tmp_path):
    opts = OPTS + data_opts(tiny_cifar_root)
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    out = run_tool(['tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options'] + opts +
                   ['train_cfg.max_epochs=2']).stdout
    # per iteration (logger) and per epoch (UNIXKDComputationHook)
    assert 'unix_computation:' in out and 'unix_epoch_teacher_saved:' in out
    flops_line = re.search(r'computation on full batches (\d+\.\d+)% of conventional KD', out)
    assert flops_line, out[-3000:]
    # resnet8 teaching resnet8: F_s/(F_t + 2F_s) = 1/3; 12 of 16 kept
    assert float(flops_line.group(1)) == pytest.approx(100 * (12 / 16 + 1 / 3), abs=0.01)
    # epoch: 200 samples, 12 batches keep 12 and the last (8 samples) keeps all 8
    epoch = re.findall(
        r'UNIXKD epoch (\d): 200 samples, (\d+) teacher forwards, (\d+) saved; '
        r'computation (\d+\.\d+)%', out)
    assert [e[:3] for e in epoch] == [('1', '152', '48'), ('2', '152', '48')]
    assert float(epoch[0][3]) == pytest.approx(100 * (200 / 3 + 152) / 200, abs=0.01)
    # the iteration log (every 5 iterations) shows the epoch-to-date values as they are, not
    # averaged: 4 saved per full batch; the count restarts with the epoch
    saved = [float(v) for v in re.findall(r'unix_epoch_teacher_saved: (\d+\.\d+)', out)]
    assert saved[:3] == [20.0, 40.0, 20.0]

    run_tool(['tools/train.py', CONFIG, '--work-dir', split, '--cfg-options'] + opts +
             ['train_cfg.max_epochs=1'])
    out = run_tool(['tools/train.py', CONFIG, '--work-dir', split, '--resume', '--cfg-options'] +
                   opts + ['train_cfg.max_epochs=2']).stdout
    assert 'resumed epoch: 1' in out
    a, b = weights(osp.join(straight, 'epoch_2.pth')), weights(osp.join(split, 'epoch_2.pth'))
    assert int(a['batch_transform.iteration']) == 26  # 13 iterations per epoch
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f'{key} differs after resume'

    student = build_classifier('configs/_base_/models/resnet8.py')
    load_weights_strict(student, osp.join(straight, 'student_best.pth'), role='student')


def fails_with(args, *fragments):
    proc = run_tool(args, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert 'mmkd error:' in proc.stdout and 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    message = proc.stdout.split('mmkd error:', 1)[1]
    for fragment in fragments:
        assert fragment in message, f'{fragment!r} not in {message!r}'


@pytest.mark.slow
@pytest.mark.parametrize('opts, fragments', [
    (['model.batch_transform.k=100'], ['k=100 must be an int in [1, batch_size=16]']),
    (['model.teacher.head.num_classes=10'], ['The teacher predicts 10 classes but the student']),
    (['model.student_loss_weight=1.0'], ["type='UNIXMixupCELoss'"]),
    (['model.distill_losses.rkd.type=RKDLoss'
      ], ['UNIXKD cannot be combined with', 'Supported with UNIXKD: KDLoss']),
    (['train_dataloader.batch_size=32'], ['a batch of 32 samples but batch_size=16']),
])
def test_bad_input_through_train_gives_one_message(tiny_cifar_root, tmp_path, opts, fragments):
    """(b and the strategy fail the same way as k: tests/unixkd/test_unixkd_transform.py)"""
    fails_with(['tools/train.py', CONFIG, '--work-dir',
                str(tmp_path), '--cfg-options'] + OPTS + data_opts(tiny_cifar_root) +
               ['train_cfg.max_epochs=1'] + opts, *fragments)
