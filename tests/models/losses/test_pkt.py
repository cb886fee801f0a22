"""PKTLoss: RepDistiller/SemCKD distiller_zoo/PKT.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.pkt import PKTLoss, pkt_loss

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
               for j in range(B)) / (
                   B * B)


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
