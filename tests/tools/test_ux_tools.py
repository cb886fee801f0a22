"""tools/test.py writes its record beside the checkpoint; student checkpoints get the usual file
mode; a distributed run whose total batch is not the recipe's says so once."""
import glob
import json
import os
import os.path as osp
import re
import stat

import pytest

from mmkd.utils.atomic import atomic_write_bytes
from mmkd.utils.batch_scale import batch_mismatch_message, warn_batch_mismatch
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_write_gets_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_bytes(b'x', str(tmp_path / 'a.bin'))
        assert _mode(str(tmp_path / 'a.bin')) == 0o640
    finally:
        os.umask(old)


def test_batch_mismatch_message():
    msg = batch_mismatch_message(64, 4, 64, auto_scale_lr=False)
    assert msg == ('mmkd warning: total batch 4 x 64 = 256, but the recipe\'s lr assumes 64 '
                   '(auto_scale_lr.base_batch_size); to match it add --auto-scale-lr '
                   '(lr x 256/64) or --cfg-options train_dataloader.batch_size=16')
    assert '\n' not in msg
    assert batch_mismatch_message(16, 4, 64, auto_scale_lr=False) is None
    assert batch_mismatch_message(64, 4, 64, auto_scale_lr=True) is None
    assert batch_mismatch_message(64, 4, None, auto_scale_lr=False) is None
    assert 'not divisible by 3' in batch_mismatch_message(64, 3, 64, auto_scale_lr=False)


def test_warn_batch_mismatch_rank0_only(monkeypatch, capsys):
    from mmengine.config import Config
    cfg = Config(
        dict(
            launcher='pytorch',
            train_dataloader=dict(batch_size=64),
            auto_scale_lr=dict(base_batch_size=64)))
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.setenv('RANK', '1')
    assert warn_batch_mismatch(cfg) is None
    monkeypatch.setenv('RANK', '0')
    assert 'total batch 2 x 64 = 128' in warn_batch_mismatch(cfg)
    assert capsys.readouterr().err.count('mmkd warning') == 1
    cfg.launcher = 'none'  # one process: nothing to say
    assert warn_batch_mismatch(cfg) is None


@pytest.mark.slow
def test_student_checkpoint_mode_and_test_record(tiny_cifar_root, tmp_path):
    work = str(tmp_path / 'kd')
    opts = TINY + data_opts(tiny_cifar_root) + [
        'train_cfg.max_epochs=1', 'model.teacher=configs/_base_/models/resnet8.py',
        'model.teacher_ckpt=None', 'model.student=configs/_base_/models/resnet8.py'
    ]
    old = os.umask(0o022)
    try:
        run_tool([
            'tools/train.py', 'configs/kd/resnet56_resnet20.py', '--work-dir', work, '--cfg-options'
        ] + opts)
    finally:
        os.umask(old)
    ckpts = glob.glob(osp.join(work, '*.pth'))
    assert {'epoch_1.pth', 'student_last.pth'} <= {osp.basename(p) for p in ckpts}
    assert {osp.basename(p): _mode(p) for p in ckpts} == {osp.basename(p): 0o644 for p in ckpts}

    # the student alone (plain config) and the full checkpoint (distillation config)
    runs = [('configs/baselines/resnet8_cifar100.py',
             'student_last', TINY + data_opts(tiny_cifar_root)),
            ('configs/kd/resnet56_resnet20.py', 'epoch_1', opts)]
    top1 = []
    for config, stem, test_opts in runs:
        out = run_tool(['tools/test.py', config,
                        osp.join(work, stem + '.pth'), '--cfg-options'] + test_opts).stdout
        printed = float(re.search(r'^accuracy/top1: (\d+\.\d\d)$', out, re.M).group(1))
        record = json.load(open(osp.join(work, stem + '.metrics.json')))
        assert osp.isdir(osp.join(work, 'test_' + stem))  # logs: the checkpoint's, not shared
        assert record['config'] == osp.abspath(config)
        assert record['checkpoint'] == osp.join(work, stem + '.pth')
        assert record['dataset'] == dict(
            type='CIFAR100', data_root=tiny_cifar_root, split='test', num_images=100)
        assert round(record['metrics']['accuracy/top1'], 2) == printed
        top1.append(record['metrics']['accuracy/top1'])
    assert top1[0] == top1[1]  # the same student weights, evaluated both ways
