"""PKTLoss: RepDistiller/SemCKD distiller_zoo/PKT.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.pkt import PKTLoss, pkt_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

EPS = 1e-7


def np_probs(x):
    x = np.asarray(x, np.float64)
    B = x.shape[0]
    rows = []
    for i in range(B):
        n = math.sqrt(sum(v * v for v in x[i]))
        rows.append([v / (n + EPS) for v in x[i]])
    sim = [[(sum(a * b for a, b in zip(rows[i], rows[j])) + 1) / 2 for j in range(B)]
           for i in range(B)]
    return [[v / sum(row) for v in row] for row in sim]


def np_pkt(s, t):
    ps, pt = np_probs(s), np_probs(t)
    B = len(ps)
    return sum(pt[i][j] * math.log((pt[i][j] + EPS) / (ps[i][j] + EPS)) for i in range(B)
               for j in range(B)) / (B * B)


def test_hand_computed():
    # s: (1,0), (0,1) -> cos [[1,0],[0,1]] -> (cos+1)/2 = [[1, .5], [.5, 1]] -> rows [2/3, 1/3]
    # t: (1,0), (1,0) -> cos all 1 -> rows [1/2, 1/2]
    # loss = mean over 4 entries of 1/2 * ln((1/2)/(2/3)) or 1/2 * ln((1/2)/(1/3))
    #      = (2 * 1/2 ln(3/4) + 2 * 1/2 ln(3/2)) / 4 = ln(9/8) / 4
    s = torch.tensor([[1., 0.], [0., 1.]])
    t = torch.tensor([[1., 0.], [1., 0.]])
    assert pkt_loss(s, t).item() == pytest.approx(math.log(9 / 8) / 4, rel=1e-5)
    assert PKTLoss()(s, t).item() == pytest.approx(30000 * math.log(9 / 8) / 4, rel=1e-5)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(6, 5, generator=g), torch.randn(6, 9, generator=g)
    assert pkt_loss(s, t).item() == pytest.approx(np_pkt(s, t), rel=1e-5)


def test_positive_rescaling_gives_zero_and_zero_rows_are_finite():
    t = torch.randn(4, 8)
    assert pkt_loss(2.5 * t, t).item() == pytest.approx(0.0, abs=1e-7)
    s = torch.randn(4, 8)
    s[1] = 0
    assert torch.isfinite(pkt_loss(s, t))


def test_gradient_reaches_student_only():
    s = torch.randn(4, 8, requires_grad=True)
    t = torch.randn(4, 8)
    PKTLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(8, 64, generator=g), torch.randn(8, 64, generator=g)
    loss = PKTLoss()
    ref = loss(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(s.bfloat16(), t.bfloat16())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, loss(s.bfloat16().float(), t.bfloat16().float()), rtol=1e-4,
                               atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='PKTLoss'))
    assert isinstance(loss, PKTLoss) and loss.source == 'emb' and loss.loss_weight == 30000.0
