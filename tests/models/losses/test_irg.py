"""IRG (SemCKD distiller_zoo/IRG.py), checked against a loop re-statement in numpy."""
import numpy as np
import pytest
import torch

from mmkd.models.losses.irg import IRGLoss, irg_loss, irg_pdist


def _pdist_ref(e, eps=1e-12):
    e = np.asarray(e, dtype=np.float64).reshape(len(e), -1)
    n = len(e)
    d = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            if a != b:
                d[a, b] = max(float(((e[a] - e[b])**2).sum()), eps)
    return d / (d.max() + eps)


def _mse(a, b):
    return float(((np.asarray(a, np.float64) - np.asarray(b, np.float64))**2).mean())


def _irg_ref(f_s, f_t, tr_s=(), tr_t=(), w_graph=1.0, w_transform=1.0, edge=True):
    f_s, f_t = f_s.double().numpy(), f_t.double().numpy()
    loss = _mse(_pdist_ref(f_s), _pdist_ref(f_t))
    if f_s.shape == f_t.shape:
        loss += _mse(f_s, f_t)
    loss *= w_graph
    n = min(len(tr_s), len(tr_t))
    for p in range(0, n - 1, 2):  # pairs (0,1), (2,3), ...
        l1s, l2s = tr_s[p].double().numpy(), tr_s[p + 1].double().numpy()
        l1t, l2t = tr_t[p].double().numpy(), tr_t[p + 1].double().numpy()
        part = 0.0
        if edge:
            part += (_mse(_pdist_ref(l1s), _pdist_ref(l2s)) -
                     _mse(_pdist_ref(l1t), _pdist_ref(l2t)))**2
        if l1s.shape == l2s.shape and l1t.shape == l2t.shape:
            part += (_mse(l1s, l2s) - _mse(l1t, l2t))**2
        loss += w_transform * part
    return loss


def _t(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_pdist_matches_loop():
    e = _t(0, 5, 7)
    np.testing.assert_allclose(irg_pdist(e).numpy(), _pdist_ref(e.numpy()), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('dt', [12, 9])  # equal shapes add the vertex loss; unequal do not
def test_graph_loss_matches_loop(dt):
    f_s, f_t = _t(1, 6, 12), _t(2, 6, dt)
    got = irg_loss(f_s, f_t)
    assert got.item() == pytest.approx(_irg_ref(f_s, f_t), rel=1e-5)
    assert IRGLoss()(f_s, f_t).item() == pytest.approx(0.005 * got.item(), rel=1e-6)


@pytest.mark.parametrize('edge', [True, False])
def test_transform_loss_matches_loop(edge):
    f_s, f_t = _t(1, 6, 12), _t(2, 6, 12)
    # three layers: pair (0, 1) is used, layer 2 is an unpaired leftover (ignored)
    tr_s = [_t(3, 6, 4, 4, 4), _t(4, 6, 4, 4, 4), _t(5, 6, 8, 2, 2)]
    tr_t = [_t(6, 6, 8, 4, 4), _t(7, 6, 8, 4, 4), _t(8, 6, 16, 2, 2)]
    mod = IRGLoss(loss_weight=1.0, w_graph=0.5, w_transform=2.0, edge_transform=edge)
    got = mod([f_s] + tr_s, [f_t] + tr_t)
    expect = _irg_ref(f_s, f_t, tr_s, tr_t, 0.5, 2.0, edge)
    assert got.item() == pytest.approx(expect, rel=1e-5)
    assert expect != pytest.approx(_irg_ref(f_s, f_t, w_graph=0.5))  # transform part is non-zero
