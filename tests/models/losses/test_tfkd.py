"""Tf-KD losses (Tf-KD my_loss_function.py; docs/tfkd.md G1-G3) against values computed
independently: pure-python loops over the reference's formulas (math, float64) and hand-computed
numbers. The KL scale is the reference's ``nn.KLDivLoss()`` element average: ``sum over N*K elements
/ (N*K)``."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmkd.models.losses.kd import KDLoss
from mmkd.models.losses.tfkd import (TfKDLabelSmoothingLoss, TfKDLoss, TfKDRegularizationLoss,
                                     smoothed_targets, virtual_teacher)
from mmkd.registry import MODELS
from tests.utils import ROOT


# ---------------------------------------------------------------- loop re-implementations
def softmax(row, t=1.0):
    m = max(v / t for v in row)
    e = [math.exp(v / t - m) for v in row]
    return [v / sum(e) for v in e]


def log_softmax(row, t=1.0):
    return [math.log(p) for p in softmax(row, t)]


def ce(rows, labels):
    return sum(-log_softmax(r)[y] for r, y in zip(rows, labels)) / len(rows)


def kl_elementwise_mean(p_rows, log_q_rows):
    """torch 1.2 nn.KLDivLoss(): mean over all N*K elements of p*(log p - log q)."""
    total, count = 0.0, 0
    for p, lq in zip(p_rows, log_q_rows):
        for pk, lqk in zip(p, lq):
            total += pk * (math.log(pk) - lqk) if pk > 0 else 0.0
            count += 1
    return total / count


def ref_loss_kd_self(outputs, labels, teacher, alpha, T, m=1.0):
    """loss_kd / loss_kd_self: (1 - a) CE + a T^2 m KLel(softmax(t/T) || softmax(s/T))."""
    kl = kl_elementwise_mean([softmax(r, T) for r in teacher], [log_softmax(r, T) for r in outputs])
    return (1 - alpha) * ce(outputs, labels) + alpha * T * T * m * kl


def ref_reg(outputs, labels, alpha, T, m, a=0.99, paper=False):
    """loss_kd_regularization: P = a / (1-a)/(K-1); target softmax(P/T); student log_softmax(z)
    (paper: z/T, T^2)."""
    K = len(outputs[0])
    targets = []
    for y in labels:
        p = [(1 - a) / (K - 1)] * K
        p[y] = a
        targets.append(softmax(p, T))
    ts = T if paper else 1.0
    kl = kl_elementwise_mean(targets, [log_softmax(r, ts) for r in outputs])
    return (1 - alpha) * ce(outputs, labels) + alpha * m * kl * (T * T if paper else 1.0)


def ref_lsr(outputs, labels, eps=0.1):
    """loss_label_smoothing: -(1/N) sum_i sum_k t_ik log_softmax(z)_ik, t = 1-eps / eps/(K-1)."""
    K = len(outputs[0])
    total = 0.0
    for r, y in zip(outputs, labels):
        ls = log_softmax(r)
        total -= sum(((1 - eps) if k == y else eps / (K - 1)) * ls[k] for k in range(K))
    return total / len(outputs)


def data(n=4, k=100, seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(n, k, generator=g, dtype=torch.float64) * scale
    t = torch.randn(n, k, generator=g, dtype=torch.float64) * scale
    y = torch.randint(0, k, (n, ), generator=g)
    return s.float(), t.float(), y


def rows(x):
    return x.double().tolist()


# ---------------------------------------------------------------------------- TfKDLoss
@pytest.mark.parametrize('alpha,T,m', [(0.95, 20, 1.0), (0.95, 6, 50.0), (0.4, 20, 50.0),
                                       (0.9, 20, 100.0), (0.6, 20, 1.0)])
def test_self_kd_loss_matches_loop(alpha, T, m):
    s, t, y = data()
    expected = ref_loss_kd_self(rows(s), y.tolist(), rows(t), alpha, T, m)
    # the distiller's split: student_loss_weight (1 - alpha) * CE + TfKDLoss
    split = (1 - alpha) * F.cross_entropy(s, y) + TfKDLoss(alpha, T, m)(s, t)
    assert split.item() == pytest.approx(expected, rel=1e-5)
    whole = TfKDLoss(alpha, T, m, with_ce=True)(s, t, labels=y)
    assert whole.item() == pytest.approx(expected, rel=1e-5)


def test_kd_elementwise_mean_is_batchmean_over_k():
    """G1: the reference's KL is the batch-mean KL divided by K; conversion to KDLoss."""
    for k in (10, 100, 200):
        s, t, _ = data(n=3, k=k, seed=k)
        el = TfKDLoss(alpha=0.95, tau=20, multiplier=1)(s, t)
        bm = TfKDLoss(alpha=0.95, tau=20, multiplier=1, reduction='batchmean')(s, t)
        assert bm.item() == pytest.approx(k * el.item(), rel=1e-5)
        # TfKDLoss(a, T, m) == KDLoss(tau=T, loss_weight=a*m/K)
        assert KDLoss(
            tau=20, loss_weight=0.95 / k)(s, t).item() == pytest.approx(
                el.item(), rel=1e-5)
        assert KDLoss(
            tau=6, loss_weight=0.95 * 50 / k)(s, t).item() == pytest.approx(
                TfKDLoss(0.95, 6, 50)(s, t).item(), rel=1e-5)


def test_kd_hand_computed():
    """N = 1, K = 2, T = 1, alpha = 1: teacher [ln 3, 0] -> (3/4, 1/4), student [0, 0] -> (1/2,
    1/2); KL = 3/4 ln(3/2) + 1/4 ln(1/2); element mean divides by N*K = 2."""
    s = torch.tensor([[0.0, 0.0]])
    t = torch.tensor([[math.log(3.0), 0.0]])
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert TfKDLoss(alpha=1.0, tau=1.0)(s, t).item() == pytest.approx(kl / 2, rel=1e-6)
    assert TfKDLoss(
        alpha=1.0, tau=1.0, reduction='batchmean')(s, t).item() == pytest.approx(
            kl, rel=1e-6)
    # T = 2 on logits scaled by 2: the same probabilities, times T^2 = 4, times m = 3, alpha 0.5
    assert TfKDLoss(
        alpha=0.5, tau=2.0, multiplier=3.0)(2 * s, 2 * t).item() == pytest.approx(
            0.5 * 4 * 3 * kl / 2, rel=1e-6)


def test_kd_needs_labels_with_ce_and_checks_reduction():
    s, t, _ = data(n=2, k=5)
    with pytest.raises(ValueError, match='labels'):
        TfKDLoss(0.9, 4, with_ce=True)(s, t)
    with pytest.raises(ValueError, match='reduction'):
        TfKDLoss(0.9, 4, reduction='mean')


# ------------------------------------------------------------------ the virtual teacher
def test_virtual_teacher_target_table():
    """Tf-KD_reg: true-class probability of softmax(P/T), K = 100."""
    y = torch.tensor([7])
    for a, T, expected in [(0.99, 10, 0.01103), (0.99, 20, 0.01050), (0.99, 40, 0.01025),
                           (0.9, 10, 0.01093), (0.9, 20, 0.01045), (0.9, 40, 0.01022)]:
        target = virtual_teacher(y, 100, T, a)
        assert target[0, 7].item() == pytest.approx(expected, abs=5e-6)
        assert target.sum().item() == pytest.approx(1.0, abs=1e-6)
        others = torch.cat([target[0, :7], target[0, 8:]])
        assert torch.allclose(others, others[0].expand_as(others))
        assert others[0].item() == pytest.approx(0.00999, abs=2e-5)


@pytest.mark.parametrize('alpha,T,m', [(0.95, 40, 1.0), (0.95, 10, 1.0), (0.1, 20, 100.0),
                                       (0.1, 40, 50.0)])
def test_regularization_matches_loop(alpha, T, m):
    s, _, y = data(n=5, seed=3)
    loss = TfKDRegularizationLoss(alpha=alpha, temperature=T, multiplier=m)
    expected = ref_reg(rows(s), y.tolist(), alpha, T, m)
    # mmpretrain's ClsHead._get_loss call: loss_module(cls_score, target, avg_factor=N)
    assert loss(s, y, avg_factor=s.shape[0]).item() == pytest.approx(expected, rel=1e-5)
    assert loss(s, y).item() == pytest.approx(expected, rel=1e-5)


def test_regularization_paper_variant_and_batchmean():
    s, _, y = data(n=3, seed=4)
    paper = TfKDRegularizationLoss(alpha=0.95, temperature=20, variant='paper')
    assert paper(s, y).item() == pytest.approx(
        ref_reg(rows(s), y.tolist(), 0.95, 20, 1.0, paper=True), rel=1e-5)
    el = TfKDRegularizationLoss(alpha=1.0, temperature=20, multiplier=2.0)(s, y)
    bm = TfKDRegularizationLoss(
        alpha=1.0, temperature=20, multiplier=2.0, reduction='batchmean')(s, y)
    assert bm.item() == pytest.approx(100 * el.item(), rel=1e-5)
    other_a = TfKDRegularizationLoss(alpha=0.5, temperature=20, correct_prob=0.9)(s, y)
    assert other_a.item() == pytest.approx(
        ref_reg(rows(s), y.tolist(), 0.5, 20, 1.0, a=0.9), rel=1e-5)


def test_regularization_hand_computed():
    """K = 2, T = 1, a = 0.99: P = (0.99, 0.01) -> target softmax = (1/(1+e^-0.98), ...);
    zero logits -> student (1/2, 1/2); alpha = 1, m = 1: KL/(N*K)."""
    p1 = 1.0 / (1.0 + math.exp(-0.98))
    kl = p1 * math.log(2 * p1) + (1 - p1) * math.log(2 * (1 - p1))
    loss = TfKDRegularizationLoss(alpha=1.0, temperature=1.0)
    assert loss(torch.zeros(1, 2), torch.tensor([0])).item() == pytest.approx(kl / 2, rel=1e-6)
    # alpha = 0 is plain CE: ln 2 for zero logits
    assert TfKDRegularizationLoss(
        alpha=0.0, temperature=1.0)(torch.zeros(3, 2), torch.tensor([0, 1,
                                                                     1])).item() == pytest.approx(
                                                                         math.log(2), rel=1e-6)


def test_regularization_head_call_signature_options():
    s, _, y = data(n=4, seed=5)
    loss = TfKDRegularizationLoss(alpha=0.95, temperature=40)
    per = loss(s, y, reduction_override='none')
    assert per.shape == (4, )
    assert loss(s, y, reduction_override='sum').item() == pytest.approx(per.sum().item(), rel=1e-6)
    w = torch.tensor([1.0, 0.0, 2.0, 1.0])
    assert loss(s, y, weight=w).item() == pytest.approx((per * w).sum().item() / 4, rel=1e-6)
    assert loss(s, y.reshape(-1, 1)).item() == pytest.approx(per.mean().item(), rel=1e-6)
    with pytest.raises(ValueError, match='class indices'):
        loss(s, F.one_hot(y, 100).float())
    with pytest.raises(ValueError, match='variant'):
        TfKDRegularizationLoss(alpha=0.95, temperature=40, variant='fixed')


# -------------------------------------------------------------------------- label smoothing
def test_label_smoothing_matches_loop_and_targets():
    s, _, y = data(n=6, seed=6)
    expected = ref_lsr(rows(s), y.tolist())
    assert TfKDLabelSmoothingLoss()(s, y, avg_factor=6).item() == pytest.approx(expected, rel=1e-5)
    t = smoothed_targets(torch.tensor([2]), 5, 0.1)
    assert torch.allclose(t, torch.tensor([[0.025, 0.025, 0.9, 0.025, 0.025]]))


def test_label_smoothing_hand_computed_and_not_mmpretrain():
    """zero logits, K = 4: log_softmax = -ln 4 everywhere; targets sum to 1 -> ln 4.
    logits (ln 2, 0): p = (2/3, 1/3); eps = 0.1, K = 2: -(0.9 ln 2/3 + 0.1 ln 1/3)."""
    assert TfKDLabelSmoothingLoss()(torch.zeros(2, 4), torch.tensor([0, 3])).item() == \
        pytest.approx(math.log(4), rel=1e-6)
    z = torch.tensor([[math.log(2.0), 0.0]])
    expected = -(0.9 * math.log(2 / 3) + 0.1 * math.log(1 / 3))
    ours = TfKDLabelSmoothingLoss()(z, torch.tensor([0]))
    assert ours.item() == pytest.approx(expected, rel=1e-6)
    # mmpretrain's 'original' smoothing puts 1 - eps + eps/K on the true class: different value
    mmpre = MODELS.build(dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'))
    theirs = -(0.95 * math.log(2 / 3) + 0.05 * math.log(1 / 3))
    assert mmpre(z, torch.tensor([0])).item() == pytest.approx(theirs, rel=1e-5)
    assert abs(ours.item() - theirs) > 1e-3


# ------------------------------------------------------------- as the loss of a plain head
def test_head_losses_plug_into_linear_cls_head():
    """The configs' usage: LinearClsHead(loss=dict(type=...)), called by ClsHead._get_loss."""
    from mmpretrain.structures import DataSample
    s, _, y = data(n=3, k=10, seed=7)
    for loss_cfg, ref in [
        (dict(type='TfKDRegularizationLoss', alpha=0.95, temperature=10,
              multiplier=1.0), lambda: ref_reg(rows(s), y.tolist(), 0.95, 10, 1.0)),
        (dict(type='TfKDLabelSmoothingLoss', epsilon=0.1), lambda: ref_lsr(rows(s), y.tolist())),
    ]:
        head = MODELS.build(
            dict(type='LinearClsHead', num_classes=10, in_channels=4, loss=loss_cfg))
        samples = [DataSample().set_gt_label(int(v)) for v in y]
        out = head._get_loss(s, samples)
        assert out['loss'].item() == pytest.approx(ref(), rel=1e-5)


def test_shipped_reg_config_builds_the_reference_loss():
    cfg = Config.fromfile(f'{ROOT}/configs/tfkd/mobilenetv2_reg.py')
    loss = MODELS.build(cfg.model.head.loss)
    assert isinstance(loss, TfKDRegularizationLoss)
    assert (loss.alpha, loss.temperature, loss.multiplier, loss.correct_prob, loss.variant,
            loss.reduction) == (0.95, 40.0, 1.0, 0.99, 'code', 'elementwise_mean')
