"""DKDLoss (mdistiller mdistiller/distillers/DKD.py), checked against hand-computed
numbers, the KD = TCKD + (1 - p_t[gt]) * NCKD identity and a numpy loop re-implementation."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.dkd import DKDLoss, dkd_loss
from mmkd.models.losses.kd import kd_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules
from mmkd.utils.errors import ConfigError

LN2 = math.log(2.0)

# One sample, three classes, label 0, tau = 4 (logits pre-multiplied by 4):
#   teacher z/4 = [ln2, 0, 0] -> p_t = [1/2, 1/4, 1/4]; binary b_t = [1/2, 1/2];
#                                non-target distribution over classes {1, 2}: [1/2, 1/2]
#   student z/4 = [0, ln2, 0] -> p_s = [1/4, 1/2, 1/4]; b_s = [1/4, 3/4]; non-target: [2/3, 1/3]
#   TCKD = 16 * (1/2 ln(2) + 1/2 ln(2/3))        = 8 ln(4/3)
#   NCKD = 16 * (1/2 ln(3/4) + 1/2 ln(3/2))      = 8 ln(9/8)
#   DKD (alpha=1, beta=8) = 8 ln(4/3) + 64 ln(9/8)
S1 = torch.tensor([[0., 4 * LN2, 0.]])
T1 = torch.tensor([[4 * LN2, 0., 0.]])
Y1 = torch.tensor([0])
TCKD1 = 8 * math.log(4 / 3)
NCKD1 = 8 * math.log(9 / 8)


def _softmax(v):
    e = [math.exp(x) for x in v]
    return [x / sum(e) for x in e]


def np_dkd(s, t, y, alpha, beta, tau):
    """Loop version of the DKD formula (float64)."""
    s, t = np.asarray(s, np.float64), np.asarray(t, np.float64)
    tckd = nckd = 0.0
    B, K = s.shape
    for b in range(B):
        g = int(y[b])
        ps, pt = _softmax(s[b] / tau), _softmax(t[b] / tau)
        bs = [ps[g], 1 - ps[g]]
        bt = [pt[g], 1 - pt[g]]
        tckd += sum(bt[i] * math.log(bt[i] / bs[i]) for i in range(2))
        others = [k for k in range(K) if k != g]
        qs = _softmax([s[b][k] / tau for k in others])
        qt = _softmax([t[b][k] / tau for k in others])
        nckd += sum(qt[i] * math.log(qt[i] / qs[i]) for i in range(K - 1))
    return tau**2 * (alpha * tckd + beta * nckd) / B


def test_hand_computed():
    assert dkd_loss(S1, T1, Y1, 1.0, 0.0, 4.0).item() == pytest.approx(TCKD1, rel=1e-5)
    assert dkd_loss(S1, T1, Y1, 0.0, 1.0, 4.0).item() == pytest.approx(NCKD1, rel=1e-5)
    loss = DKDLoss(warmup_epochs=None)
    assert loss(S1, T1, Y1).item() == pytest.approx(TCKD1 + 8 * NCKD1, rel=1e-5)


def test_decomposition_identity():
    # KD = TCKD + (1 - p_t[gt]) * NCKD for each sample (the DKD paper's reformulation)
    g = torch.Generator().manual_seed(3)
    s, t = torch.randn(1, 10, generator=g) * 4, torch.randn(1, 10, generator=g) * 4
    y = torch.tensor([6])
    p_gt = torch.softmax(t / 4, dim=1)[0, 6].item()
    assert dkd_loss(s, t, y, 1.0, 1 - p_gt, 4.0).item() == pytest.approx(
        kd_loss(s, t, 4.0).item(), rel=1e-5)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(6, 9, generator=g) * 3, torch.randn(6, 9, generator=g) * 3
    y = torch.randint(0, 9, (6, ), generator=g)
    for alpha, beta, tau in ((1.0, 8.0, 4.0), (0.5, 2.0, 1.0)):
        assert dkd_loss(s, t, y, alpha, beta, tau).item() == pytest.approx(
            np_dkd(s, t, y, alpha, beta, tau), rel=1e-5)


def test_batch_of_one_and_extreme_logits_are_finite():
    s = torch.tensor([[200., -200., 0.]])
    t = torch.tensor([[-200., 200., 0.]])
    out = dkd_loss(s, t, torch.tensor([0]))
    assert torch.isfinite(out)


def test_warmup_is_a_schedule_of_the_loss_entry():
    """The loss itself has no warm-up (it is ``weight_schedule`` on the entry, tested in
    tests/models/distillers/test_loss_wiring.py); the old argument says where it went."""
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    y = torch.tensor([0, 1, 2, 3])
    full = dkd_loss(s, t, y, 1.0, 8.0, 4.0).item()
    assert DKDLoss()(s, t, y).item() == pytest.approx(full, rel=1e-6)
    assert DKDLoss(loss_weight=0.5)(s, t, y).item() == pytest.approx(full / 2, rel=1e-6)
    with pytest.raises(ConfigError, match="weight_schedule=dict\\(type='LinearWarmup', epochs=20"):
        DKDLoss(warmup_epochs=20)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='DKDLoss', beta=6.0))
    assert isinstance(loss, DKDLoss) and loss.source == 'logits'
    assert (loss.alpha, loss.beta, loss.tau, loss.loss_weight) == (1.0, 6.0, 4.0, 1.0)
