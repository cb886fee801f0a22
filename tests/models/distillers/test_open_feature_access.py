"""Open feature access (issue 11 §2): a teacher that is not an mmkd backbone — mmpretrain's
ResNet-18 config, shrunk — distils with KD out of the box and with a feature loss by naming a
module path."""
import glob
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmkd.models.utils.model_config import build_classifier
from mmkd.registry import MODELS
from mmkd.utils.atomic import atomic_torch_save
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import ConfigError
from tests.utils import ROOT, run_tool

#: mmpretrain's ImageNet ResNet-18 config with 8 base channels and CIFAR-100's classes
MMPRETRAIN_TEACHER = dict(
    cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py',
    backbone=dict(stem_channels=8, base_channels=8),
    head=dict(num_classes=100, in_channels=64))
LOSSES = dict(
    kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9),
    fitnet=dict(
        type='FitNetLoss',
        loss_weight=2.0,
        student_source='last_stage',
        teacher_source='module:backbone.layer2',
        connector=dict(type='ConvRegConnector')))


def build(**kwargs):
    cfg = dict(
        type='SingleTeacherDistiller',
        student='configs/_base_/models/resnet8.py',
        teacher=MMPRETRAIN_TEACHER,
        teacher_ckpt_required=False,
        distill_losses=LOSSES)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_mmpretrain_teacher_kd_and_module_path_feature_loss():
    torch.manual_seed(0)
    model = build()
    assert type(model.teacher.backbone).__module__.startswith('mmpretrain')
    model.eval()  # fixed BN statistics: the independent recomputation sees the same numbers
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 32, 32, generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in torch.randint(0, 100, (4, ), generator=g)]
    calls = []
    model.teacher.backbone.conv1.register_forward_pre_hook(lambda m, a: calls.append(1))
    with torch.no_grad():
        losses = model.loss(x, samples)
    assert len(calls) == 1  # the recorded feature comes from the same teacher forward
    assert set(losses) == {'loss_cls', 'loss_kd', 'loss_fitnet'}

    seen = {}
    handle = model.teacher.backbone.layer2.register_forward_hook(
        lambda m, a, out: seen.update(t=out))
    with torch.no_grad():
        t_logits = model.teacher(x, mode='tensor')
        s_logits = model.student(x, mode='tensor')
        s_last = model.student.backbone.forward_features(x).stages[-1]
        regressed, t_feat = model.connectors['fitnet'](s_last, seen['t'])
    handle.remove()
    assert tuple(seen['t'].shape) == (4, 16, 4, 4)  # layer2 of the shrunk ResNet-18
    p_t = torch.softmax(t_logits / 4, 1)
    kl = (p_t * (p_t.log() - torch.log_softmax(s_logits / 4, 1))).sum(1).mean() * 16
    assert torch.allclose(losses['loss_kd'], 0.9 * kl, rtol=1e-5)
    assert torch.allclose(losses['loss_fitnet'], 2.0 * F.mse_loss(regressed, t_feat), rtol=1e-5)


def test_stage_sources_on_a_foreign_backbone_say_what_to_do():
    with pytest.raises(
            ConfigError,
            match=r"teacher\).*needs stage features.*ResNet backbone.*"
            r"module:backbone.layer3"):
        build(distill_losses=dict(at=dict(type='ATLoss')))


@pytest.mark.slow
def test_mmpretrain_teacher_distils_through_tools_train(tiny_cifar_root, tmp_path):
    torch.manual_seed(0)
    teacher = build_classifier(MMPRETRAIN_TEACHER)
    ckpt = str(tmp_path / 'mmpretrain_teacher.pth')
    atomic_torch_save({'state_dict': teacher.state_dict()}, ckpt)
    config = tmp_path / 'mmpretrain_teacher_kd.py'
    config.write_text(f"_base_ = ['{ROOT}/configs/kd/resnet56_resnet20.py']\n"
                      "model = dict(student=dict(cfg_path='configs/_base_/models/resnet8.py'),\n"
                      f"             teacher={MMPRETRAIN_TEACHER!r},\n"
                      f"             teacher_ckpt={ckpt!r}, distill_losses={LOSSES!r})\n")
    work = str(tmp_path / 'work')
    opts = [
        'train_cfg.max_epochs=1', 'train_dataloader.batch_size=50', 'val_dataloader.batch_size=100',
        'randomness.seed=0', 'default_hooks.logger.interval=1'
    ]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{key}.dataset.data_root={tiny_cifar_root}', f'{key}.num_workers=0',
            f'{key}.persistent_workers=False'
        ]
    run_tool(['tools/train.py', str(config), '--work-dir', work, '--cfg-options'] + opts)
    logs = ''.join(open(p).read() for p in glob.glob(osp.join(work, '*', '*.log')))
    assert 'loss_kd:' in logs and 'loss_fitnet:' in logs and 'Teacher (measured once)' in logs
    assert osp.isfile(osp.join(work, 'student_best.pth'))
    trained = safe_load(osp.join(work, 'epoch_1.pth'))['state_dict']
    for key, value in teacher.state_dict().items():  # the frozen teacher never changed
        assert torch.equal(trained[f'teacher.{key}'], value), key
