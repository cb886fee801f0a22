"""HKD (SemCKD distiller_zoo/HKD.py), checked against a loop re-statement in numpy."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.hkd import HKDLoss, hkd_loss


def _layer_ref(fs, ft, eps=1e-6):
    s = fs.double().numpy().reshape(fs.shape[0], -1)
    t = ft.double().numpy().reshape(ft.shape[0], -1)
    n = len(s)

    def cosine(x):
        k = np.zeros((n, n))
        for a in range(n):
            for b in range(n):
                xa = x[a] / (math.sqrt((x[a]**2).sum()) + eps)
                xb = x[b] / (math.sqrt((x[b]**2).sum()) + eps)
                k[a, b] = (float(np.dot(xa, xb)) + 1) / 2
        return k

    def student_t(x):
        k = np.zeros((n, n))
        for a in range(n):
            for b in range(n):
                d2 = max((x[a]**2).sum() + (x[b]**2).sum() - 2 * np.dot(x[a], x[b]), 0.0)
                k[a, b] = 1 / (1 + math.sqrt(d2 + eps))
        return k

    total = 0.0
    for kern in (cosine, student_t):
        pt, ps = kern(t), kern(s)
        pt = pt / pt.sum(axis=1, keepdims=True)
        ps = ps / ps.sum(axis=1, keepdims=True)
        total += ((pt - ps) * (np.log(pt) - np.log(ps))).mean()
    return total


def _feats(seed):
    g = torch.Generator().manual_seed(seed)
    s = [
        torch.randn(5, 4, 4, 4, generator=g),
        torch.randn(5, 8, 2, 2, generator=g),
        torch.randn(5, 16, 1, 1, generator=g)
    ]
    t = [
        torch.randn(5, 6, 4, 4, generator=g),
        torch.randn(5, 12, 2, 2, generator=g),
        torch.randn(5, 24, 1, 1, generator=g)
    ]
    return s, t


def test_reference_layer_weights_100_1_1():
    s, t = _feats(0)
    per_layer = [_layer_ref(a, b) for a, b in zip(s, t)]
    expect = 100 * per_layer[0] + per_layer[1] + per_layer[2]
    assert hkd_loss(s, t).item() == pytest.approx(expect, rel=1e-4)
    mod = HKDLoss()
    assert (mod.init_weight, mod.decay, mod.fix_layer_decay) == (100, 0.7, False)
    assert mod(s, t).item() == pytest.approx(expect, rel=1e-4)


def test_fixed_layer_decay():
    s, t = _feats(1)
    per_layer = [_layer_ref(a, b) for a, b in zip(s, t)]
    expect = sum(100 * 0.7**i * v for i, v in enumerate(per_layer))
    got = HKDLoss(fix_layer_decay=True, loss_weight=2.0)(s, t)
    assert got.item() == pytest.approx(2.0 * expect, rel=1e-4)


def test_identical_features_give_zero_and_gradients_reach_student():
    s, t = _feats(2)
    assert hkd_loss(t, t).item() == pytest.approx(0.0, abs=1e-7)
    s = [f.requires_grad_(True) for f in s]
    t = [f.requires_grad_(True) for f in t]
    HKDLoss()(s, t).backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in s)
    assert all(f.grad is None for f in t)
