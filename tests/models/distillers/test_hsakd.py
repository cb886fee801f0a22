"""What every head and loss of HSAKD sees (HSAKD train_teacher_cifar.py, train_student_cifar.py),
recomputed independently.

The outputs of every head are captured with forward hooks while the model computes its loss; the
test then rebuilds the rotation batch by hand (``torch.rot90`` per image and rotation) and the
expected loss terms from the captured outputs with its own formulas (log-softmax CE, the KL sum
written out), and checks the frozen-backbone and joint teacher modes and the student's gradients.
"""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from mmkd.registry import MODELS
from mmkd.utils.errors import CheckpointError, ConfigError
from tests.utils import ROOT

C = 10  # classes of the small test models
AUX = 'configs/_base_/models/hsakd/{}_aux.py'


def aux_cfg(arch, **extra):
    cfg = Config.fromfile(osp.join(ROOT, AUX.format(arch))).model.to_dict()
    cfg['head']['num_classes'] = C
    cfg.update(extra)
    return cfg


def plain_model(arch='resnet20'):
    cfg = Config.fromfile(osp.join(ROOT, f'configs/_base_/models/{arch}.py')).model.to_dict()
    cfg['head']['num_classes'] = C
    return MODELS.build(cfg)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def hand_rotated(x):
    """[x0 r0, x0 r1, x0 r2, x0 r3, x1 r0, ...], written without rotate_batch."""
    rows = []
    for img in x:
        for r in range(4):
            rows.append(torch.rot90(img, r, dims=(1, 2)))
    return torch.stack(rows)


def ce(logits, target):
    return -logits.log_softmax(1)[torch.arange(len(target)), target].mean()


def kl_t(s, t, temp):
    p_t = (t / temp).softmax(1)
    return temp**2 * (p_t * ((t / temp).log_softmax(1) - (s / temp).log_softmax(1))).sum() / len(s)


def capture(model):
    """Record the inputs of the backbone and the outputs of the head and of every branch."""
    seen = {'backbone_in': [], 'head': [], 'aux': [[] for _ in model.aux_branches]}
    forward_features = model.backbone.forward_features

    def recording(x, *args, **kwargs):
        seen['backbone_in'].append(x.detach().clone())
        return forward_features(x, *args, **kwargs)

    model.backbone.forward_features = recording
    model.head.register_forward_hook(lambda m, a, o: seen['head'].append(o))
    for i, branch in enumerate(model.aux_branches):
        branch.register_forward_hook(lambda m, a, o, i=i: seen['aux'][i].append(o))
    return seen


def test_teacher_loss_sees_the_rotation_batch_and_joint_labels():
    torch.manual_seed(0)
    model = MODELS.build(aux_cfg('resnet20', type='HSAKDTeacher'))
    model.train()
    seen = capture(model)
    x, y = torch.randn(3, 3, 32, 32), torch.tensor([7, 0, 9])
    losses = model.loss(x, samples(y))
    assert list(losses) == ['loss_cls', 'loss_aux1', 'loss_aux2', 'loss_aux3']
    # the whole 4N batch goes through the backbone once, in sample-major order
    assert len(seen['backbone_in']) == 1 and torch.equal(seen['backbone_in'][0], hand_rotated(x))
    head = seen['head'][0]
    assert head.shape == (12, C)
    joint = torch.tensor([28, 29, 30, 31, 0, 1, 2, 3, 36, 37, 38, 39])
    torch.testing.assert_close(losses['loss_cls'], ce(head[[0, 4, 8]], y))
    for i in range(3):
        aux = seen['aux'][i][0]
        assert aux.shape == (12, 4 * C)
        torch.testing.assert_close(losses[f'loss_aux{i + 1}'], ce(aux, joint))
    # joint mode: every term has gradients into the backbone
    losses['loss_aux1'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_each_row_is_the_rotated_copy():
    torch.manual_seed(0)
    model = MODELS.build(aux_cfg('wrn16_2')).eval()  # eval: rows independent of each other
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = model.forward_aux(hand_rotated(x))
        for i in range(2):
            for r in range(4):
                single = model.forward_aux(torch.rot90(x[i:i + 1], r, (2, 3)))
                torch.testing.assert_close(
                    out.logits[4 * i + r], single.logits[0], rtol=1e-4, atol=1e-4)
                for a, b in zip(out.ss_logits, single.ss_logits):
                    torch.testing.assert_close(a[4 * i + r], b[0], rtol=1e-4, atol=1e-4)


def plain_checkpoint(tmp_path, arch='resnet20', seed=1):
    torch.manual_seed(seed)
    plain = plain_model(arch)
    with torch.no_grad():  # non-trivial BN statistics, to see that they stay frozen
        for m in plain.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    path = str(tmp_path / f'{arch}_plain.pth')
    torch.save({'meta': {}, 'state_dict': plain.state_dict()}, path)
    return path, plain.state_dict()


def data_batch(n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    imgs = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=g) for _ in range(n)]
    return dict(inputs=imgs, data_samples=samples(torch.arange(n) % C))


def train_steps(model, steps=2):
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(
        model,
        dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)))
    for i in range(steps):
        model.train_step(data_batch(seed=i), optim)


def test_frozen_teacher_keeps_backbone_bit_identical(tmp_path):
    path, plain_state = plain_checkpoint(tmp_path)
    model = MODELS.build(
        aux_cfg('resnet20', type='HSAKDTeacher', freeze_backbone=True, backbone_ckpt=path))
    before_aux = copy.deepcopy(model.aux_branches.state_dict())
    train_steps(model)
    assert model.training and not model.backbone.training and not model.head.training
    after = model.plain_state_dict()
    assert list(after) == list(plain_state)
    for key, value in plain_state.items():  # params, BN statistics and counters
        assert torch.equal(after[key], value), key
    assert all(p.grad is None for m in model.plain_modules() for p in m.parameters())
    changed = [
        k for k, v in model.aux_branches.state_dict().items() if not torch.equal(v, before_aux[k])
    ]
    assert any(k.endswith('fc.weight') for k in changed)


def test_joint_teacher_trains_everything():
    torch.manual_seed(0)
    model = MODELS.build(aux_cfg('resnet20', type='HSAKDTeacher', freeze_backbone=False))
    model.init_weights()
    before = copy.deepcopy(model.state_dict())
    train_steps(model)
    assert model.backbone.training
    assert not torch.equal(model.backbone.conv1.weight, before['backbone.conv1.weight'])
    assert not torch.equal(model.backbone.bn1.running_mean, before['backbone.bn1.running_mean'])
    assert not torch.equal(model.head.fc.weight, before['head.fc.weight'])


def test_frozen_teacher_checkpoint_errors(tmp_path):
    model = MODELS.build(
        aux_cfg(
            'resnet20',
            type='HSAKDTeacher',
            freeze_backbone=True,
            backbone_ckpt=str(tmp_path / 'missing.pth')))
    with pytest.raises(CheckpointError, match='does not exist.*configs/baselines'):
        model.init_weights()
    path, _ = plain_checkpoint(tmp_path, arch='resnet8')
    model = MODELS.build(
        aux_cfg('resnet20', type='HSAKDTeacher', freeze_backbone=True, backbone_ckpt=path))
    with pytest.raises(CheckpointError, match='does not fit the plain part'):
        model.init_weights()
    with pytest.warns(UserWarning, match='FROZEN BACKBONE IS UNTRAINED'):
        MODELS.build(aux_cfg('resnet20', type='HSAKDTeacher', freeze_backbone=True))


def distiller(tmp_path, teacher_arch='wrn16_2', student_arch='resnet20', **kw):
    torch.manual_seed(3)
    teacher = MODELS.build(aux_cfg(teacher_arch))
    with torch.no_grad():
        for m in teacher.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 1.5)
    path = str(tmp_path / 'teacher.pth')
    torch.save({'meta': {}, 'state_dict': teacher.state_dict()}, path)
    torch.manual_seed(4)
    model = MODELS.build(
        dict(
            type='HSAKDDistiller',
            student=aux_cfg(student_arch),
            teacher=aux_cfg(teacher_arch),
            teacher_ckpt=path,
            **kw))
    return model, teacher


def test_student_loss_terms(tmp_path):
    model, teacher = distiller(tmp_path)
    for key, value in teacher.state_dict().items():  # loaded strictly
        assert torch.equal(model.teacher.state_dict()[key], value)
    model.init_weights()
    model.train()
    assert not model.teacher.training and model.student.training
    t_seen, s_seen = capture(model.teacher), capture(model.student)
    teacher_state = copy.deepcopy(model.teacher.state_dict())
    x, y = torch.randn(2, 3, 32, 32), torch.tensor([3, 8])
    losses = model.loss(x, samples(y))
    assert list(losses) == ['loss_cls', 'loss_kd_aux1', 'loss_kd_aux2', 'loss_kd_aux3', 'loss_kd']
    rotated = hand_rotated(x)
    assert torch.equal(t_seen['backbone_in'][0], rotated)
    assert torch.equal(s_seen['backbone_in'][0], rotated)
    t_head, s_head = t_seen['head'][0], s_seen['head'][0]
    assert t_head.shape == s_head.shape == (8, C) and not t_head.requires_grad
    torch.testing.assert_close(losses['loss_cls'], ce(s_head[[0, 4]], y))
    torch.testing.assert_close(losses['loss_kd'], kl_t(s_head, t_head, 3.0))
    for i in range(3):
        s_aux, t_aux = s_seen['aux'][i][0], t_seen['aux'][i][0]
        assert s_aux.shape == t_aux.shape == (8, 4 * C) and not t_aux.requires_grad
        torch.testing.assert_close(losses[f'loss_kd_aux{i + 1}'], kl_t(s_aux, t_aux, 3.0))
    # the teacher ran in eval mode: its BN statistics did not move
    for key, value in teacher_state.items():
        assert torch.equal(model.teacher.state_dict()[key], value), key
    # gradients flow from the aux KL into the student's backbone (grad=True), never the teacher
    losses['loss_kd_aux1'].backward()
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())


def test_student_export_is_the_plain_classifier(tmp_path):
    model, _ = distiller(tmp_path)
    state = model.student_state_dict()
    plain = plain_model('resnet20')
    assert list(state) == list(plain.state_dict())
    plain.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    plain.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'), plain(x, mode='tensor'))


def test_distiller_build_errors(tmp_path):
    path, _ = plain_checkpoint(tmp_path, arch='wrn16_2')
    with pytest.raises(CheckpointError, match='aux_branches'):
        MODELS.build(
            dict(
                type='HSAKDDistiller',
                student=aux_cfg('resnet20'),
                teacher=aux_cfg('wrn16_2'),
                teacher_ckpt=path))
    with pytest.raises(CheckpointError, match='does not exist.*configs/hsakd/teachers'):
        MODELS.build(
            dict(
                type='HSAKDDistiller',
                student=aux_cfg('resnet20'),
                teacher=aux_cfg('wrn16_2'),
                teacher_ckpt=str(tmp_path / 'no.pth')))
    with pytest.raises(ConfigError, match='same number of branches'):
        MODELS.build(
            dict(
                type='HSAKDDistiller',
                student=aux_cfg('vgg8'),
                teacher=aux_cfg('resnet20'),
                teacher_ckpt_required=False))
    plain = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/resnet20.py')).model.to_dict()
    with pytest.raises(ConfigError, match='auxiliary branches'):
        MODELS.build(
            dict(
                type='HSAKDDistiller',
                student=aux_cfg('resnet20'),
                teacher=plain,
                teacher_ckpt_required=False))
    with pytest.warns(UserWarning, match='TEACHER IS UNTRAINED'):
        MODELS.build(
            dict(type='HSAKDDistiller', student=aux_cfg('resnet20'), teacher=aux_cfg('resnet20')))


def test_eval_rotations_predictions_and_ss_accuracy():
    from mmkd.evaluation.ss_accuracy import RotationSSAccuracy
    torch.manual_seed(0)
    model = MODELS.build(aux_cfg('resnet20', eval_rotations=True)).eval()
    x, y = torch.randn(3, 3, 32, 32), torch.tensor([1, 4, 9])
    with torch.no_grad():  # branch 1 always says joint label 4 or 5 (class 1, rotations 0/1)
        model.aux_branches[0].fc.bias[4:6] += 1e4
        model.aux_branches[0].fc.bias[5] += 1
        preds = model(x, samples(y), mode='predict')
        out = model.forward_aux(hand_rotated(x))
        plain = model(x, mode='tensor')
    # the prediction is the final head on the unrotated image
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]), plain.softmax(1), rtol=1e-5, atol=1e-6)
    joint = torch.stack([4 * y + r for r in range(4)], 1).reshape(-1)
    for b, ss in enumerate(out.ss_logits):
        hits = (ss.argmax(1) == joint).view(3, 4).sum(1)
        cls_hits = (ss.view(12, C, 4).sum(2).argmax(1).view(3, 4) == y[:, None]).sum(1)
        for i, p in enumerate(preds):
            assert int(p.ss_correct[b]) == int(hits[i])
            assert int(p.ss_class_correct[b]) == int(cls_hits[i])
    assert int(preds[0].ss_correct[0]) == 1  # only rotation 1 of image 0 (label 5) is right
    assert int(preds[0].ss_class_correct[0]) == 4  # all 4 rows of image 0 say class 1
    # the metric: per-branch accuracy over the 12 rotated rows, top1 = max over branches
    metric = RotationSSAccuracy()
    metric.process({}, [p.to_dict() for p in preds])
    result = metric.compute_metrics(metric.results)
    expected = [100 * float((ss.argmax(1) == joint).float().mean()) for ss in out.ss_logits]
    for b in range(3):
        assert result[f'aux{b + 1}'] == pytest.approx(expected[b])
    assert result['top1'] == pytest.approx(max(expected))
    assert set(result) == {'top1', 'aux1', 'aux2', 'aux3', 'class_aux1', 'class_aux2', 'class_aux3'}
