"""KDLoss: RepDistiller/SemCKD distiller_zoo/KD.py DistillKL, checked against hand-computed numbers
and a numpy loop re-implementation."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.kd import KDLoss, kd_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

LN2, LN3 = math.log(2.0), math.log(3.0)

# Two samples, three classes, tau = 4 (logits are pre-multiplied by 4 so that z/4 is simple):
#   sample 1: teacher z/4 = [0, 0, 0]      -> p_t = [1/3, 1/3, 1/3]
#             student z/4 = [0, ln2, 0]    -> p_s = [1/4, 1/2, 1/4]
#             KL(p_t||p_s) = 1/3 ln(4/3) + 1/3 ln(2/3) + 1/3 ln(4/3) = ln(32/27) / 3
#   sample 2: teacher z/4 = [ln3, 0, 0]    -> p_t = [3/5, 1/5, 1/5]
#             student z/4 = [0, 0, 0]      -> p_s = [1/3, 1/3, 1/3]
#             KL = 3/5 ln(9/5) + 2/5 ln(3/5)
#   loss = tau^2 * (KL1 + KL2) / 2 = 8 * (KL1 + KL2)
S_LOGITS = torch.tensor([[0., 4 * LN2, 0.], [0., 0., 0.]])
T_LOGITS = torch.tensor([[0., 0., 0.], [4 * LN3, 0., 0.]])
KL1 = math.log(32 / 27) / 3
KL2 = 0.6 * math.log(9 / 5) + 0.4 * math.log(3 / 5)


def np_kd(s, t, tau):
    """Loop version: per sample, softmax by hand, KL summed over classes; mean over samples."""
    s, t = np.asarray(s, np.float64), np.asarray(t, np.float64)
    total = 0.0
    for b in range(s.shape[0]):
        es = [math.exp(v / tau) for v in s[b]]
        et = [math.exp(v / tau) for v in t[b]]
        ps = [v / sum(es) for v in es]
        pt = [v / sum(et) for v in et]
        total += sum(pt[k] * math.log(pt[k] / ps[k]) for k in range(len(ps)))
    return tau * tau * total / s.shape[0]


def test_hand_computed():
    assert kd_loss(S_LOGITS, T_LOGITS, 4.0).item() == pytest.approx(8 * (KL1 + KL2), rel=1e-6)
    assert KDLoss()(S_LOGITS, T_LOGITS).item() == pytest.approx(8 * (KL1 + KL2), rel=1e-6)
    assert KDLoss(loss_weight=0.9)(S_LOGITS, T_LOGITS).item() == pytest.approx(
        0.9 * 8 * (KL1 + KL2), rel=1e-6)


def test_batch_of_one():
    assert kd_loss(S_LOGITS[:1], T_LOGITS[:1]).item() == pytest.approx(16 * KL1, rel=1e-6)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(5, 7, generator=g) * 3
    t = torch.randn(5, 7, generator=g) * 3
    for tau in (1.0, 4.0):
        assert kd_loss(s, t, tau).item() == pytest.approx(np_kd(s, t, tau), rel=1e-5)


def test_identical_logits_give_zero():
    s = torch.randn(4, 10)
    assert kd_loss(s, s.clone()).item() == pytest.approx(0.0, abs=1e-5)


def test_gradient_reaches_student_only():
    s = torch.randn(4, 10, requires_grad=True)
    t = torch.randn(4, 10)
    KDLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(8, 100, generator=g), torch.randn(8, 100, generator=g)
    ref = KDLoss()(s, t)
    s16, t16 = s.bfloat16(), t.bfloat16()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = KDLoss()(s16, t16)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, KDLoss()(s16.float(), t16.float()), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='KDLoss'))
    assert isinstance(loss, KDLoss)
    assert loss.source == 'logits' and loss.tau == 4.0 and loss.loss_weight == 1.0


def test_fp16_inputs_are_computed_in_fp32():
    g = torch.Generator().manual_seed(2)
    s, t = torch.randn(4, 10, generator=g), torch.randn(4, 10, generator=g)
    out = KDLoss()(s.half(), t.half())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, KDLoss()(s.half().float(), t.half().float()))
