"""SPLoss: RepDistiller/SemCKD distiller_zoo/SP.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.sp import SPLoss, sp_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


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


def test_gradient_reaches_student_only():
    s = torch.randn(4, 8, 4, 4, requires_grad=True)
    t = torch.randn(4, 16, 2, 2)
    SPLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(8, 16, 4, 4, generator=g), torch.randn(8, 32, 4, 4, generator=g)
    loss = SPLoss()
    ref = loss(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(s.bfloat16(), t.bfloat16())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, loss(s.bfloat16().float(), t.bfloat16().float()), rtol=1e-4,
                               atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='SPLoss'))
    assert isinstance(loss, SPLoss) and loss.source == 'last_stage' and loss.loss_weight == 3000.0
