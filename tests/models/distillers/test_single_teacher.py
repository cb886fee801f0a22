"""SingleTeacherDistiller: teacher safety, student-only inference, loss wiring, build errors."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmkd.registry import MODELS
from mmkd.utils.atomic import atomic_torch_save
from mmkd.utils.errors import CheckpointError, ConfigError

STUDENT = 'configs/_base_/models/resnet8.py'
TEACHER = 'configs/_base_/models/resnet14.py'


def build(**kwargs):
    cfg = dict(
        type='SingleTeacherDistiller',
        student=STUDENT,
        teacher=TEACHER,
        teacher_ckpt_required=False,
        distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=4, classes=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, classes, (n, ), generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return x, samples


@pytest.fixture(scope='module')
def teacher_file(tmp_path_factory):
    torch.manual_seed(1)
    teacher = MODELS.build(Config.fromfile(TEACHER).model)
    path = str(tmp_path_factory.mktemp('t') / 'teacher.pth')
    atomic_torch_save({'meta': {}, 'state_dict': teacher.state_dict()}, path)
    return path, teacher.state_dict()


def test_teacher_loaded_frozen_and_never_reinitialised(teacher_file):
    path, state = teacher_file
    model = build(teacher_ckpt=path)
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model.init_weights()  # what the Runner does before training
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, state[k]), f'init_weights touched the teacher: {k}'
    model.train()
    assert model.student.training and not model.teacher.training
    assert all(not m.training for m in model.teacher.modules())


def test_training_step_leaves_teacher_untouched(teacher_file):
    path, state = teacher_file
    model = build(teacher_ckpt=path)
    model.train()
    x, samples = batch()
    losses = model.loss(x, samples)
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None for p in model.student.parameters())
    for k, v in model.teacher.state_dict().items():  # BN running stats included
        assert torch.equal(v, state[k]), k


def test_predict_and_tensor_run_the_student_only():
    model = build()
    model.eval()
    x, samples = batch()
    with torch.no_grad():
        assert torch.equal(model(x, mode='tensor'), model.student(x, mode='tensor'))
        preds = model(x, samples, mode='predict')
        ref = model.student(x, samples, mode='predict')
    assert torch.equal(preds[0].pred_score, ref[0].pred_score)
    student_keys = set(model.student_state_dict())
    assert student_keys == set(MODELS.build(Config.fromfile(STUDENT).model).state_dict())


def test_loss_terms_and_weights():
    torch.manual_seed(0)
    model = build(
        student_loss_weight=0.1,
        distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)))
    model.train()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_kd'}
    # recompute both terms by hand from the networks' outputs
    logits_s = model.student(x, mode='tensor')
    with torch.no_grad():
        logits_t = model.teacher(x, mode='tensor')
    labels = torch.tensor([int(s.gt_label) for s in samples])
    ce = torch.nn.functional.cross_entropy(logits_s, labels)
    p_t = torch.softmax(logits_t / 4, 1)
    kl = (p_t * (p_t.log() - torch.log_softmax(logits_s / 4, 1))).sum(1).mean() * 16
    assert torch.allclose(losses['loss_cls'], 0.1 * ce, rtol=1e-5)
    assert torch.allclose(losses['loss_kd'], 0.9 * kl, rtol=1e-5)


def test_connector_built_from_measured_shapes_and_labels_reach_the_loss():
    model = build(
        distill_losses=dict(
            fitnet=dict(
                type='FitNetLoss',
                loss_weight=100.0,
                source=2,
                connector=dict(type='ConvRegConnector')),
            dkd=dict(type='DKDLoss', warmup_epochs=None)))
    # resnet8 f2 is 32x16x16, resnet14 f2 is 32x16x16 -> 1x1 regressor 32->32 with BN
    conv = [m for m in model.connectors['fitnet'].modules() if isinstance(m, torch.nn.Conv2d)]
    assert conv[0].weight.shape == (32, 32, 1, 1)
    model.train()
    losses = model.loss(*batch())
    assert set(losses) == {'loss_cls', 'loss_fitnet', 'loss_dkd'}
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.connectors.parameters())


def test_init_stage_switches_losses():
    model = build(
        init_epochs=1, distill_losses=dict(kd=dict(type='KDLoss'), fsp=dict(type='FSPLoss')))
    model.train()
    model.set_epoch(0)
    assert model.stage == 'init'
    assert set(model.loss(*batch())) == {'loss_fsp'}
    model.set_epoch(1)
    assert model.stage == 'main'
    assert set(model.loss(*batch())) == {'loss_cls', 'loss_kd'}


def test_bf16_autocast_step_is_finite():
    model = build(distill_losses=dict(kd=dict(type='KDLoss'), at=dict(type='ATLoss')))
    model.train()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(*batch())
    assert all(torch.isfinite(v) for v in losses.values())


# ---------------------------------------------------------------- build-time errors
def test_missing_teacher_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(CheckpointError, match='does not exist.*configs/baselines'):
        build(teacher_ckpt=str(tmp_path / 'nope.pth'))


def test_teacher_checkpoint_of_another_architecture_names_the_keys(tmp_path):
    other = MODELS.build(Config.fromfile('configs/_base_/models/resnet8x4.py').model)
    path = str(tmp_path / 'wrong.pth')
    atomic_torch_save({'state_dict': other.state_dict()}, path)
    with pytest.raises(CheckpointError) as info:
        build(teacher_ckpt=path)
    msg = str(info.value)
    assert 'does not fit the teacher config' in msg
    assert 'Missing keys' in msg and 'backbone.layer1.1.conv1.weight' in msg
    assert 'Shape mismatch' in msg and 'backbone.conv1.weight' in msg


def test_reference_layout_checkpoint_suggests_the_converter(tmp_path):
    path = str(tmp_path / 'ckpt_epoch_240.pth')
    atomic_torch_save({'model': {'conv1.weight': torch.zeros(16, 3, 3, 3)}, 'epoch': 240}, path)
    with pytest.raises(CheckpointError, match='convert_reference.py.*--layout repdistiller'):
        build(teacher_ckpt=path)


def test_class_count_mismatch():
    with pytest.raises(ConfigError, match='teacher predicts 10 classes but the student 100'):
        build(teacher=dict(cfg_path=TEACHER, head=dict(num_classes=10)))


def test_feature_index_the_backbone_does_not_produce():
    with pytest.raises(ConfigError, match=r'feature index 7 does not exist.*valid indices 0\.\.4'):
        build(
            distill_losses=dict(
                fitnet=dict(type='FitNetLoss', source=7, connector=dict(type='ConvRegConnector'))))


def test_out_of_range_stage_in_backbone_config():
    with pytest.raises(ValueError, match='valid indices'):
        MODELS.build(dict(type='ResNetCifar', arch='resnet8', out_indices=(3, )))


def test_unknown_loss_type_lists_close_names():
    from mmkd.utils.cli import explain_unknown_type
    with pytest.raises(KeyError) as info:
        build(distill_losses=dict(kd=dict(type='KDLos')))
    explained = explain_unknown_type(info.value)
    assert explained is not None and 'KDLoss' in str(explained) and 'Did you mean' in str(explained)


def test_unknown_model_config_path():
    with pytest.raises(ConfigError, match='not found'):
        build(student='configs/_base_/models/resnet9.py')


def test_packaged_config_path_resolves():
    model = build(student='mmkd::_base_/models/resnet8.py')
    assert model.student.backbone.depth == 8
    assert osp.isfile(
        osp.join(
            osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))), 'configs',
            '_base_', 'models', 'resnet8.py'))
