"""The distillation hooks belong to the model (issue 11 §1): a config that sets its own
``custom_hooks`` keeps DistillationEpochHook, TeacherEvalHook and StudentCheckpointHook."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmkd.models.distillers.base import merge_required_hooks
from mmkd.utils import register_all_modules
from mmkd.utils.checkpoint import safe_load
from tests.utils import ROOT, run_tool

DISTILL_HOOKS = ['DistillationEpochHook', 'TeacherEvalHook', 'StudentCheckpointHook']


def _types(cfg):
    return [h['type'] for h in cfg.custom_hooks]


def test_merge_keeps_user_hooks_and_adds_the_models():
    register_all_modules()
    cfg = Config(
        dict(
            model=dict(type='SingleTeacherDistiller'),
            custom_hooks=[dict(type='EMAHook'),
                          dict(type='StudentCheckpointHook', interval=3)]))
    assert merge_required_hooks(cfg) == ['DistillationEpochHook', 'TeacherEvalHook']
    assert _types(cfg) == [
        'EMAHook', 'StudentCheckpointHook', 'DistillationEpochHook', 'TeacherEvalHook'
    ]
    assert cfg.custom_hooks[1]['interval'] == 3  # the user's arguments are kept
    assert merge_required_hooks(cfg) == []  # idempotent

    online = Config(dict(model=dict(type='HSSAKDOnlineDistiller')))
    merge_required_hooks(online)
    assert _types(online) == ['DistillationEpochHook', 'PeerSelectionHook', 'StudentCheckpointHook']
    plain = Config(dict(model=dict(type='ImageClassifier'), custom_hooks=[dict(type='EMAHook')]))
    assert merge_required_hooks(plain) == [] and _types(plain) == ['EMAHook']


@pytest.mark.slow
def test_user_custom_hooks_still_write_student_best(tiny_cifar_root, tmp_path):
    config = tmp_path / 'kd_with_ema.py'
    config.write_text(f"_base_ = ['{ROOT}/configs/kd/resnet56_resnet20.py']\n"
                      "model = dict(student=dict(cfg_path='configs/_base_/models/resnet8.py'),\n"
                      "             teacher=dict(cfg_path='configs/_base_/models/resnet8.py'),\n"
                      "             teacher_ckpt=None, teacher_ckpt_required=False)\n"
                      "custom_hooks = [dict(type='EMAHook')]  # replaces the base's list\n")
    assert _types(Config.fromfile(str(config))) == ['EMAHook']
    work = str(tmp_path / 'work')
    opts = [
        'train_cfg.max_epochs=1', 'train_dataloader.batch_size=50', 'val_dataloader.batch_size=100',
        'randomness.seed=0'
    ]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{key}.dataset.data_root={tiny_cifar_root}', f'{key}.num_workers=0',
            f'{key}.persistent_workers=False'
        ]
    run_tool(['tools/train.py', str(config), '--work-dir', work, '--cfg-options'] + opts)
    assert osp.isfile(osp.join(work, 'student_best.pth'))
    assert osp.isfile(osp.join(work, 'student_last.pth'))
    assert 'ema_state_dict' in safe_load(osp.join(work, 'epoch_1.pth'))  # the user's hook ran
    logs = ''.join(open(p).read() for p in glob.glob(osp.join(work, '*', '*.log')))
    assert 'Teacher (measured once)' in logs
