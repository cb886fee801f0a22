"""KDSVD (RepDistiller distiller_zoo/KDSVD.py), checked against a loop re-statement in numpy.

SVD's singular-vector signs are implementation-defined and the KDSVD loss depends on them, so
the re-statement takes the raw decomposition from ``torch.linalg.svd`` (same call, same signs)
and does everything else (top-k, normalisation, alignment, RBF maps, loss) with numpy loops.
"""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.kdsvd import KDSVDLoss, kdsvd_loss


def _svd_ref(f, n):
    b, c, h, w = f.shape
    x = f.detach().float().reshape(b, c, h * w).transpose(1, 2)
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    s = s.double().numpy()[:, :n]
    v = vh.transpose(1, 2).double().numpy()[:, :, :n]
    s = s / np.linalg.norm(s, axis=1, keepdims=True)
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    return s, v


def _kdsvd_ref(s_feats, t_feats, k=1):
    bsz = s_feats[0].shape[0]
    total = 0.0
    prev = None
    for fs, ft in zip(s_feats, t_feats):
        st, vt = _svd_ref(ft, k)
        _, vs = _svd_ref(fs, k + 3)
        c = vt.shape[1]
        vs_al = np.zeros_like(vt)
        for b in range(bsz):
            for j in range(k):
                cos = [float(np.dot(vs[b, :, m], vt[b, :, j])) for m in range(vs.shape[2])]
                m = int(np.argmax(np.abs(cos)))
                vs_al[b, :, j] = np.sign(cos[m]) * vs[b, :, m]
        vt = vt * st[:, None, :]
        vs_al = vs_al * st[:, None, :]
        if prev is not None:
            ps, pt = prev
            for b in range(bsz):
                for c1 in range(c):
                    for c2 in range(ps.shape[1]):
                        for j in range(k):
                            rs = math.exp(-(vs_al[b, c1, j] - ps[b, c2, j])**2 / 8)
                            rt = math.exp(-(vt[b, c1, j] - pt[b, c2, j])**2 / 8)
                            total += (rs - rt)**2
        prev = (vs_al, vt)
    return total / bsz


def _feats(seed, chans=(4, 6, 8)):
    g = torch.Generator().manual_seed(seed)
    s = [torch.randn(3, c, h, h, generator=g) for c, h in zip(chans, (4, 4, 2))]
    t = [torch.randn(3, c, h, h, generator=g) for c, h in zip(chans, (4, 4, 2))]
    return s, t


def test_matches_loop():
    s, t = _feats(0)
    expect = _kdsvd_ref(s, t)
    assert expect > 0
    assert kdsvd_loss(s, t).item() == pytest.approx(expect, rel=1e-4)
    assert KDSVDLoss(loss_weight=3.0)(s, t).item() == pytest.approx(3 * expect, rel=1e-4)


def test_k2_matches_loop():
    s, t = _feats(1)
    assert kdsvd_loss(s, t, k=2).item() == pytest.approx(_kdsvd_ref(s, t, k=2), rel=1e-4)


def test_single_layer_is_zero_and_channel_mismatch_raises():
    s, t = _feats(0)
    assert kdsvd_loss(s[:1], t[:1]).item() == 0
    with pytest.raises(ValueError, match='channel'):
        kdsvd_loss(s, [t[0], t[2], t[1]])
