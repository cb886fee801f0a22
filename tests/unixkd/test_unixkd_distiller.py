"""UNIXKD in the single-teacher flow: the loss of one step against an independent numpy
recomputation (xuguodong03/UNIXKD ``student_v0.py``), the BN side effect, what the teacher sees,
the computation accounting and the unsupported combinations."""
import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from mmkd.models.distillers.unixkd_transform import measure_flops
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

STUDENT = 'configs/_base_/models/resnet8.py'
TEACHER = 'configs/_base_/models/resnet14.py'


def build(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='UNIXKDDistiller',
        student=STUDENT,
        teacher=TEACHER,
        teacher_ckpt_required=False,
        distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)),
        batch_transform=dict(
            type='UNIXKDBatchTransform', batch_size=8, k=6, b=4, w=10.0, strategy='entropy',
            seed=5))
    transform = kwargs.pop('transform', {})
    cfg['batch_transform'].update(transform)
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.train()
    return model


def batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 16, 16, generator=g)
    labels = torch.randint(0, 100, (n, ), generator=g)
    return x, [DataSample().set_gt_label(int(y)) for y in labels], labels


def np_log_softmax(z):
    z = np.asarray(z, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_one_step_matches_an_independent_recomputation():
    model = build(
        distill_losses=dict(
            kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
            ce=dict(type='UNIXMixupCELoss', loss_weight=0.3)))
    reference = copy.deepcopy(model)  # the networks before the step
    x, samples, labels = batch()
    losses = model.loss(x, samples)
    assert set(losses) >= {'loss_kd', 'loss_ce', 'unix_lambda', 'unix_computation'}
    assert 'loss_cls' not in losses  # KD only: --ce-weight 0

    # the reference's step, with the iteration's random numbers (λ, perm) given
    with torch.no_grad():
        clean = reference.student(x, mode='tensor').numpy()
    p = np.exp(np_log_softmax(clean))
    rank = np.argsort(-(-(p * np.log(p)).sum(1)), kind='stable')
    gen, rng = reference.batch_transform.generators(0)
    lam = rng.beta(1.0, 1.0)
    perm = torch.randperm(8, generator=gen).numpy()
    assert float(losses['unix_lambda']) == pytest.approx(lam)
    r = np.arange(8, dtype=np.float64)
    mask = lam / (1 + np.exp(-10.0 * (r / 8 - 7 / 16)))
    xm = ((1 - mask[:, None, None, None]) * x.numpy()[rank] +
          mask[:, None, None, None] * x.numpy()[perm])[:6]
    with torch.no_grad():
        xm_t = torch.from_numpy(xm).float()
        s = reference.student(xm_t, mode='tensor').numpy()
        t = reference.teacher(xm_t, mode='tensor').numpy()
    log_ps, log_pt = np_log_softmax(s / 4), np_log_softmax(t / 4)
    kd = 16 * (np.exp(log_pt) * (log_pt - log_ps)).sum() / 6
    log_p = np_log_softmax(s)
    y, y_mix, m = labels.numpy()[rank[:6]], labels.numpy()[perm[:6]], mask[:6]
    ce = ((1 - m) * -log_p[np.arange(6), y] + m * -log_p[np.arange(6), y_mix]).mean()
    # float32 networks on slightly different (float32 vs float64) mixed inputs
    assert losses['loss_kd'].item() == pytest.approx(kd, rel=1e-4)
    assert losses['loss_ce'].item() == pytest.approx(0.3 * ce, rel=1e-4)


def _batch_sizes(net):
    sizes = []
    conv = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
    conv.register_forward_pre_hook(lambda m, args: sizes.append(args[0].shape[0]))
    return sizes


def test_teacher_sees_only_the_k_kept_samples_and_bn_updates_twice():
    model = build()
    s_sizes, t_sizes = _batch_sizes(model.student), _batch_sizes(model.teacher)
    bn = next(m for m in model.student.modules() if isinstance(m, nn.BatchNorm2d))
    t_bn = next(m for m in model.teacher.modules() if isinstance(m, nn.BatchNorm2d))
    t_stats = t_bn.running_mean.clone()
    model.loss(*batch()[:2])
    assert s_sizes == [8, 6] and t_sizes == [6]  # uncertainty pass on all 8, then the k = 6
    assert int(bn.num_batches_tracked) == 2  # train-mode selection pass + training pass
    assert torch.equal(t_bn.running_mean, t_stats)  # the teacher stays in eval mode

    model = build(transform=dict(uncertainty_mode='eval'))
    bn = next(m for m in model.student.modules() if isinstance(m, nn.BatchNorm2d))
    model.loss(*batch()[:2])
    assert int(bn.num_batches_tracked) == 1


def test_flops_are_measured_from_the_two_networks():
    model = build()
    transform = model.batch_transform
    assert transform.flops_student == measure_flops(model.student, (32, 32))
    assert transform.flops_teacher == measure_flops(model.teacher, (32, 32))
    assert transform.teacher_flops_ratio > 1.5  # resnet14 vs resnet8
    fs, ft = transform.flops_student, transform.flops_teacher
    losses = model.loss(*batch()[:2])
    assert float(losses['unix_computation']) == pytest.approx(6 / 8 + fs / (ft + 2 * fs))


def test_at_and_sp_add_ons_run_in_the_flow():
    model = build(
        distill_losses=dict(
            kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
            at=dict(type='ATLoss', loss_weight=1000.0),
            sp=dict(type='UNIXSampleWiseSPLoss', loss_weight=3000.0)))
    losses = model.loss(*batch()[:2])
    for name in ('loss_kd', 'loss_at', 'loss_sp'):
        assert torch.isfinite(losses[name]) and losses[name].item() > 0


def test_not_in_train_mode_the_batch_is_untouched():
    model = build()
    model.eval()
    losses = model.loss(*batch()[:2])
    assert 'unix_lambda' not in losses and int(model.batch_transform.iteration) == 0


@pytest.mark.parametrize('kwargs, message', [
    (dict(student_loss_weight=1.0), 'student_loss_weight=1.0 would apply plain CE to mixed'),
    (dict(
        distill_losses=dict(
            semckd=dict(
                type='SemCKDLoss', connector=dict(type='SelfAttentionConnector', batch_size=8)))),
     r'UNIXKD cannot be combined with distill_losses.semckd \(SemCKDLoss\): SemCKD'),
    (dict(distill_losses=dict(pkt=dict(type='PKTLoss'))),
     r'distill_losses.pkt \(PKTLoss\): it has not been validated'),
    (dict(teacher=dict(cfg_path=TEACHER, head=dict(num_classes=10))),
     'The teacher predicts 10 classes but the student 100'),
    (dict(transform=dict(k=9)), r'k=9 must be an int in \[1, batch_size=8\]'),
    (dict(transform=dict(b=-2)), r'b=-2 must be an int in \[0, batch_size=8\]'),
    (dict(transform=dict(strategy='loss')), "Unknown UNIXKD strategy 'loss'"),
])
def test_bad_input_gives_one_message(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build(**kwargs)


@MODELS.register_module(force=True)
class _IdentityTransform(nn.Module):

    def forward(self, inputs, data_samples, fields, student):
        return inputs, data_samples, fields, {}


def test_the_transform_must_be_unixkds():
    with pytest.raises(ConfigError, match='needs batch_transform of type UNIXKDBatchTransform'):
        MODELS.build(
            dict(
                type='UNIXKDDistiller',
                student=STUDENT,
                teacher=TEACHER,
                teacher_ckpt_required=False,
                batch_transform=dict(type='_IdentityTransform')))
