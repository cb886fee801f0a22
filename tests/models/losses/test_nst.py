"""NSTLoss: RepDistiller distiller_zoo/NST.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.nst import NSTLoss, nst_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def np_adaptive_pool(x, out):
    """Adaptive average pooling of a (C, H, W) array to (out, out), by loops."""
    C, H, W = x.shape
    y = np.zeros((C, out, out))
    for i in range(out):
        h0, h1 = (i * H) // out, -(-((i + 1) * H) // out)
        for j in range(out):
            w0, w1 = (j * W) // out, -(-((j + 1) * W) // out)
            y[:, i, j] = x[:, h0:h1, w0:w1].mean(axis=(1, 2))
    return y


def np_channel_vectors(f):
    """(C, H, W) -> list of C unit vectors (flattened spatial maps)."""
    out = []
    for c in range(f.shape[0]):
        v = f[c].ravel().tolist()
        n = math.sqrt(sum(x * x for x in v))
        out.append([x / max(n, 1e-12) for x in v])
    return out


def np_kernel_mean(A, B):
    """mean over all (a in A, b in B) of (a . b)^2."""
    vals = [sum(x * y for x, y in zip(a, b))**2 for a in A for b in B]
    return sum(vals) / len(vals)


def np_nst(s_feats, t_feats):
    total = 0.0
    for s, t in zip(s_feats, t_feats):
        s, t = np.asarray(s, np.float64), np.asarray(t, np.float64)
        B = s.shape[0]
        k_tt = k_ss = k_st = 0.0
        for b in range(B):
            fs, ft = s[b], t[b]
            if fs.shape[1] > ft.shape[1]:
                fs = np_adaptive_pool(fs, ft.shape[1])
            elif fs.shape[1] < ft.shape[1]:
                ft = np_adaptive_pool(ft, fs.shape[1])
            vs, vt = np_channel_vectors(fs), np_channel_vectors(ft)
            # every sample has the same grid size, so the batch mean is the mean of sample means
            k_tt += np_kernel_mean(vt, vt) / B
            k_ss += np_kernel_mean(vs, vs) / B
            k_st += np_kernel_mean(vs, vt) / B
        total += k_tt + k_ss - 2 * k_st
    return total


def test_hand_computed():
    # one sample, spatial size 2 (1x2 maps):
    # student channels (1,0), (0,1); teacher one channel (1,0)
    # k(s,s): (1,0).(1,0)=1, (1,0).(0,1)=0, ... -> squares [1,0,0,1] -> mean 1/2
    # k(t,t) = 1 ; k(s,t): [1, 0] -> mean 1/2  ->  MMD^2 = 1 + 1/2 - 2 * 1/2 = 1/2
    s = torch.tensor([[[[1., 0.]], [[0., 1.]]]])
    t = torch.tensor([[[[3., 0.]]]])
    assert nst_loss([s], [t]).item() == pytest.approx(0.5, rel=1e-6)
    assert NSTLoss()([s], [t]).item() == pytest.approx(25.0, rel=1e-6)


def test_same_features_give_zero():
    f = torch.randn(2, 4, 3, 3)
    assert nst_loss([f], [f.clone()]).item() == pytest.approx(0.0, abs=1e-6)


def test_numpy_reference_with_mismatched_sizes():
    g = torch.Generator().manual_seed(0)
    s = [torch.randn(2, 3, 6, 6, generator=g), torch.randn(2, 4, 2, 2, generator=g)]
    t = [torch.randn(2, 5, 4, 4, generator=g), torch.randn(2, 2, 4, 4, generator=g)]
    assert nst_loss(s, t).item() == pytest.approx(np_nst(s, t), rel=1e-5)


def test_gradient_reaches_student_only():
    s = [torch.randn(2, 4, 4, 4, requires_grad=True)]
    t = [torch.randn(2, 6, 4, 4)]
    NSTLoss()(s, t).backward()
    assert s[0].grad is not None and s[0].grad.abs().sum() > 0
    assert t[0].grad is None


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s = [torch.randn(4, 8, 8, 8, generator=g), torch.randn(4, 16, 4, 4, generator=g)]
    t = [torch.randn(4, 16, 8, 8, generator=g), torch.randn(4, 32, 4, 4, generator=g)]
    loss = NSTLoss()
    ref = loss(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss([x.bfloat16() for x in s], [x.bfloat16() for x in t])
    assert out.dtype == torch.float32
    exact = loss([x.bfloat16().float() for x in s], [x.bfloat16().float() for x in t])
    torch.testing.assert_close(out, exact, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='NSTLoss'))
    assert isinstance(loss, NSTLoss) and loss.source == 'stages' and loss.loss_weight == 50.0
