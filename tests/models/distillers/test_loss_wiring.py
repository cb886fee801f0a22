"""The loss wiring (issue 11 §1/§2): per-entry weight schedules, pre- and post-activation from one
forward, the new sources, and the wiring as a component of its own."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmkd.models.distillers.feature_access import NetworkOutputs
from mmkd.models.distillers.loss_wiring import LossWiring
from mmkd.models.distillers.weight_schedules import ExpRampUp, LinearWarmup, StepWeights
from mmkd.models.losses.at import ATLoss
from mmkd.models.losses.dkd import dkd_loss
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

STUDENT = 'configs/_base_/models/resnet8.py'
TEACHER = 'configs/_base_/models/resnet14.py'


def build(**kwargs):
    cfg = dict(
        type='SingleTeacherDistiller',
        student=STUDENT,
        teacher=TEACHER,
        teacher_ckpt_required=False)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=4, classes=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, classes, (n, ), generator=g)
    return x, [DataSample().set_gt_label(int(y)) for y in labels]


# ------------------------------------------------------------------ weight schedules
def test_schedule_factors_use_one_based_epochs():
    assert [LinearWarmup(20).factor(e)
            for e in (1, 10, 19, 20, 240)] == [1 / 20, 10 / 20, 19 / 20, 1.0, 1.0]
    ramp = ExpRampUp(epochs=5)  # FFSD: exp(-5 (1 - e/5)^2) over the first 5 epochs
    for e in range(1, 5):
        assert ramp.factor(e) == pytest.approx(math.exp(-5 * (1 - e / 5)**2), rel=1e-15)
    assert ramp.factor(5) == ramp.factor(6) == 1.0
    assert [StepWeights([3], [0.0, 2.0]).factor(e) for e in (1, 2, 3, 4)] == [0, 0, 2, 2]
    with pytest.raises(ConfigError, match='positive integer'):
        LinearWarmup(0)


def test_dkd_warmup_declared_on_the_entry():
    torch.manual_seed(0)
    model = build(
        distill_losses=dict(
            dkd=dict(
                type='DKDLoss', beta=8.0, weight_schedule=dict(type='LinearWarmup', epochs=20))))
    model.eval()  # BN statistics fixed, so every call sees the same logits
    x, samples = batch()
    labels = torch.tensor([int(s.gt_label) for s in samples])
    with torch.no_grad():
        full = dkd_loss(
            model.student(x, mode='tensor'), model.teacher(x, mode='tensor'), labels, 1.0, 8.0, 4.0)
    with torch.no_grad():
        # before any set_epoch: the first epoch's factor; then runner.epoch (0-based) + 1
        first = float(model.loss(x, samples)['loss_dkd'])
        assert first == pytest.approx(float(full) / 20, rel=1e-5)
        for epoch, factor in ((0, 1 / 20), (9, 10 / 20), (18, 19 / 20), (19, 1.0), (239, 1.0)):
            model.set_epoch(epoch)
            assert float(model.loss(x, samples)['loss_dkd']) == pytest.approx(
                float(full) * factor, rel=1e-5), epoch


def test_unknown_schedule_is_one_clear_message():
    with pytest.raises(
            ConfigError,
            match=r"distill_losses.kd.weight_schedule: unknown type "
            r"'Linear'.*LinearWarmup"):
        build(distill_losses=dict(kd=dict(type='KDLoss', weight_schedule=dict(type='Linear'))))


# ------------------------------------------------------------------ one forward, both variants
def _count_forwards(net):
    calls = []
    net.backbone.conv1.register_forward_pre_hook(lambda m, a: calls.append(1))
    return calls


def test_preact_and_post_losses_share_one_forward():
    torch.manual_seed(0)
    model = build(
        student_loss_weight=0.0,
        distill_losses=dict(
            at=dict(type='ATLoss', loss_weight=1.0),
            at_pre=dict(type='ATLoss', loss_weight=1.0, student_preact=True, teacher_preact=True),
            at_mixed=dict(type='ATLoss', loss_weight=1.0, teacher_preact=True)))
    model.train()
    x, samples = batch()
    s_calls, t_calls = _count_forwards(model.student), _count_forwards(model.teacher)
    bn = model.student.backbone.bn1
    tracked = int(bn.num_batches_tracked)
    losses = model.loss(x, samples)
    assert len(s_calls) == 1 and len(t_calls) == 1  # one forward per network
    assert int(bn.num_batches_tracked) == tracked + 1  # one BN update
    # independent recomputation from the backbones' own outputs
    model.eval()
    with torch.no_grad():
        s = model.student.backbone.forward_features(x, preact=True)
        t = model.teacher.backbone.forward_features(x, preact=True)
    at = ATLoss(loss_weight=1.0)
    assert any(not torch.equal(a, b) for a, b in zip(s.stages, s.preact_stages))
    expected = {
        'loss_at': at(s.stages, t.stages),
        'loss_at_pre': at(s.preact_stages, t.preact_stages),
        'loss_at_mixed': at(s.stages, t.preact_stages)
    }
    # train-mode BN normalises with batch statistics, eval with running ones: compare in eval
    model.eval()
    with torch.no_grad():
        eval_losses = model.loss(x, samples)
    for name, value in expected.items():
        assert torch.allclose(eval_losses[name], value, rtol=1e-5), name
    assert set(losses) == set(expected)


def test_final_and_stages_with_embedding_sources():
    model = build(
        student='configs/_base_/models/wrn16_2.py',
        teacher='configs/_base_/models/wrn40_2.py',
        distill_losses=dict(
            fin=dict(
                type='FitNetLoss',
                loss_weight=1.0,
                source='final',
                connector=dict(type='ConvRegConnector')),
            all=dict(
                type='ATLoss',
                loss_weight=1.0,
                source='stages_and_emb',
                student_source='stages',
                teacher_source='stages')))
    model.eval()
    x, samples = batch(2)
    with torch.no_grad():
        out = model.student_outputs(x)
        feats = model.student.backbone.forward_features(x)
    bb = model.student.backbone
    assert torch.equal(out.select('final'), F.relu(bb.bn1(feats.stages[-1])))  # relu(bn(f3))
    both = out.select('stages_and_emb')
    assert len(both) == 4 and torch.equal(both[-1], out.emb) and both[-1].dim() == 2
    assert torch.equal(out.select('stages:1'), feats.stages[1])
    assert torch.isfinite(model.loss(x, samples)['loss_fin'])


def test_bad_sources_are_one_message():
    with pytest.raises(
            ConfigError, match=r"distill_losses.kd \(student\).*Unknown loss source "
            r"'logit'"):
        build(distill_losses=dict(kd=dict(type='KDLoss', source='logit')))
    with pytest.raises(ConfigError, match=r"'stages:5' does not exist; stages has 3 entries"):
        build(distill_losses=dict(at=dict(type='ATLoss', source='stages:5')))
    with pytest.raises(ConfigError, match=r"no submodule 'backbone.layer9'.*Did you mean"):
        build(distill_losses=dict(f=dict(type='FitNetLoss', source='module:backbone.layer9')))


# ------------------------------------------------------------------ the component itself
def test_wiring_is_usable_without_a_distiller():
    g = torch.Generator().manual_seed(0)
    s = NetworkOutputs(logits=torch.randn(3, 5, generator=g))
    t = NetworkOutputs(logits=torch.randn(3, 5, generator=g))
    wiring = LossWiring(
        dict(kd=dict(type='KDLoss', tau=2.0, weight_schedule=dict(type='LinearWarmup', epochs=4))),
        probe=lambda sp, tp: (s, t))
    wiring.set_epoch(1)  # second epoch: factor 2/4
    out = wiring(wiring.active('main'), s, t, {})
    p_t = F.softmax(t.logits / 2, 1)
    kl = (p_t * (p_t.log() - F.log_softmax(s.logits / 2, 1))).sum(1).mean() * 4
    assert torch.allclose(out['loss_kd'], 0.5 * kl, rtol=1e-6)
