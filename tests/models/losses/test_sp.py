"""SPLoss: RepDistiller/SemCKD distiller_zoo/SP.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.sp import SPLoss, sp_loss


def np_sp(s, t):
    """Loop version: Gram matrix by dot products, rows normalised, squared Frobenius / B^2."""
    B = s.shape[0]
    s = np.asarray(s, np.float64).reshape(B, -1)
    t = np.asarray(t, np.float64).reshape(B, -1)

    def norm_gram(f):
        G = [[float(np.dot(f[i], f[j])) for j in range(B)] for i in range(B)]
        out = []
        for row in G:
            n = math.sqrt(sum(v * v for v in row))
            out.append([v / max(n, 1e-12) for v in row])
        return out

    gs, gt = norm_gram(s), norm_gram(t)
    return sum((gt[i][j] - gs[i][j])**2 for i in range(B) for j in range(B)) / B**2


def test_hand_computed():
    # B = 2, one feature each: s = [1], [2] -> G_s = [[1, 2], [2, 4]] -> both rows [1, 2]/sqrt5
    # t = [1], [-1] -> G_t = [[1, -1], [-1, 1]] -> rows [1, -1]/sqrt2 and [-1, 1]/sqrt2
    # with a = 1/sqrt2, b = 1/sqrt5, c = 2/sqrt5:
    # ||G_t - G_s||^2 = (a-b)^2 + (a+c)^2 + (a+b)^2 + (a-c)^2 = 4a^2 + 2b^2 + 2c^2 = 4 -> / B^2 = 1
    s = torch.tensor([[1.], [2.]])
    t = torch.tensor([[1.], [-1.]])
    assert sp_loss(s, t).item() == pytest.approx(1.0, rel=1e-6)
    assert SPLoss()(s, t).item() == pytest.approx(3000.0, rel=1e-6)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(5, 4, 3, 3, generator=g), torch.randn(5, 8, 2, 2, generator=g)
    assert sp_loss(s, t).item() == pytest.approx(np_sp(s, t), rel=1e-5)
    # a one-element list (as the reference passes it) gives the same value
    assert sp_loss([s], [t]).item() == pytest.approx(np_sp(s, t), rel=1e-5)
