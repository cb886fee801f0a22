"""RKDLoss: RepDistiller/SemCKD distiller_zoo/RKD.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.rkd import rkd_loss


def np_smooth_l1_mean(a, b):
    vals = []
    for x, y in zip(a, b):
        d = abs(x - y)
        vals.append(0.5 * d * d if d < 1 else d - 0.5)
    return sum(vals) / len(vals)


def np_distances(e):
    B = len(e)
    d = [[
        math.sqrt(sum((e[i][k] - e[j][k])**2 for k in range(len(e[i])))) if i != j else 0.0
        for j in range(B)
    ] for i in range(B)]
    pos = [v for row in d for v in row if v > 0]
    m = sum(pos) / len(pos)
    return [v / m for row in d for v in row]


def np_angles(e):
    B, D = len(e), len(e[0])

    def unit(a, b):  # normalize(e[b] - e[a]); the zero vector stays zero
        v = [e[b][k] - e[a][k] for k in range(D)]
        n = math.sqrt(sum(x * x for x in v))
        return [x / max(n, 1e-12) for x in v]

    out = []
    for a in range(B):
        for b in range(B):
            for c in range(B):
                u, w = unit(a, b), unit(a, c)
                out.append(sum(x * y for x, y in zip(u, w)))
    return out


def np_rkd(s, t, w_d=25.0, w_a=50.0):
    s = np.asarray(s, np.float64).reshape(len(s), -1).tolist()
    t = np.asarray(t, np.float64).reshape(len(t), -1).tolist()
    return (w_d * np_smooth_l1_mean(np_distances(s), np_distances(t)) +
            w_a * np_smooth_l1_mean(np_angles(s), np_angles(t)))


def test_scaled_copy_gives_zero():
    # distances are normalised by their mean and angles are scale-free: s = 3 t -> loss 0
    t = torch.randn(5, 4)
    assert rkd_loss(3 * t, t).item() == pytest.approx(0.0, abs=1e-5)


def test_hand_computed_three_points():
    # student: points 0, (1,0), (0,1); teacher: 0, (2,0), (0,1) in 2-D.
    # teacher distances: d01 = 2, d02 = 1, d12 = sqrt5; mean = (3 + sqrt5)/3
    # student distances: 1, 1, sqrt2; mean = (2 + sqrt2)/3
    # distance term: SmoothL1 over the 9 entries (diagonal 0 on both sides)
    s = torch.tensor([[0., 0.], [1., 0.], [0., 1.]])
    t = torch.tensor([[0., 0.], [2., 0.], [0., 1.]])
    ms, mt = (2 + math.sqrt(2)) / 3, (3 + math.sqrt(5)) / 3
    diffs = [1 / ms - 2 / mt, 1 / ms - 1 / mt, math.sqrt(2) / ms - math.sqrt(5) / mt]
    # each off-diagonal distance appears twice; all |diff| < 1 -> 0.5 diff^2
    loss_d = 2 * sum(0.5 * x * x for x in diffs) / 9
    # angles: only the anchor-0 and other-anchor triples with b, c != a and b != c differ from 0/1
    # anchor 0: e01 = (1,0), e02 = (0,1) on both -> cos 0 on both
    # anchor 1: student e10 = (-1,0), e12 = (-1,1)/sqrt2 -> cos 1/sqrt2;
    #           teacher e10 = (-1,0), e12 = (-2,1)/sqrt5 -> cos 2/sqrt5
    # anchor 2: student e20 = (0,-1), e21 = (1,-1)/sqrt2 -> cos 1/sqrt2;
    #           teacher e20 = (0,-1), e21 = (2,-1)/sqrt5 -> cos 1/sqrt5
    # each appears twice ((b,c) and (c,b)) among the 27 entries
    da = [1 / math.sqrt(2) - 2 / math.sqrt(5), 1 / math.sqrt(2) - 1 / math.sqrt(5)]
    loss_a = 2 * sum(0.5 * x * x for x in da) / 27
    assert rkd_loss(s, t).item() == pytest.approx(25 * loss_d + 50 * loss_a, rel=1e-5)
    assert rkd_loss(s, t).item() == pytest.approx(np_rkd(s, t), rel=1e-5)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(5, 4, generator=g), torch.randn(5, 6, generator=g) * 2
    assert rkd_loss(s, t).item() == pytest.approx(np_rkd(s, t), rel=1e-5)
    assert rkd_loss(s, t, 1.0, 0.0).item() == pytest.approx(np_rkd(s, t, 1.0, 0.0), rel=1e-5)
