"""CRD: NCE loss (Eq. 18), embeddings + momentum memory (RepDistiller crd/) vs loop
re-statements."""
import copy
import math

import numpy as np
import pytest
import torch

from mmkd.models.connectors.crd import CRDConnector
from mmkd.models.losses.crd import CRDLoss, crd_nce_loss


def _nce_ref(x, n_data, eps=1e-7):
    """Eq. 18 written out with python loops."""
    x = np.asarray(x, dtype=np.float64)
    bsz, kp1 = x.shape
    k = kp1 - 1
    pn = 1.0 / n_data
    total = 0.0
    for b in range(bsz):
        total += math.log(x[b, 0] / (x[b, 0] + k * pn + eps))
        for j in range(1, kp1):
            total += math.log(k * pn / (x[b, j] + k * pn + eps))
    return -total / bsz


def _normalize_rows(a):
    return a / np.sqrt((a**2).sum(axis=1, keepdims=True))


def _embed_ref(lin, x):
    w = lin.weight.detach().double().numpy()
    b = lin.bias.detach().double().numpy()
    return _normalize_rows(x.detach().double().numpy() @ w.T + b)


def _scores_ref(memory, cidx, v, t):
    bsz, kp1 = cidx.shape
    out = np.zeros((bsz, kp1))
    for b in range(bsz):
        for j in range(kp1):
            out[b, j] = math.exp(float(np.dot(memory[cidx[b, j]], v[b])) / t)
    return out


def _make(seed=0, n_data=20, feat_dim=8, nce_k=5, ds=6, dt=10):
    torch.manual_seed(seed)
    return CRDConnector(
        torch.Size([ds]),
        torch.Size([dt]),
        n_data=n_data,
        feat_dim=feat_dim,
        nce_k=nce_k,
        nce_t=0.07,
        nce_m=0.5)


def _batch(seed=1, bsz=4, n_data=20, nce_k=5, ds=6, dt=10):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(bsz, ds, generator=g)
    t = torch.randn(bsz, dt, generator=g)
    idx = torch.randperm(n_data, generator=g)[:bsz]
    cidx = torch.randint(0, n_data, (bsz, nce_k + 1), generator=g)
    cidx[:, 0] = idx
    return s, t, idx, cidx


def test_nce_loss_matches_loop():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.01, 2.0, size=(3, 5))
    got = crd_nce_loss(torch.tensor(x, dtype=torch.float32), n_data=10)
    assert got.item() == pytest.approx(_nce_ref(x, 10), rel=1e-5)
    # hand-computed: one sample, K = 1, n_data = 2 -> K*Pn = 0.5
    x = torch.tensor([[1.0, 0.5]])
    expect = -(math.log(1.0 / (1.5 + 1e-7)) + math.log(0.5 / (1.0 + 1e-7)))
    assert crd_nce_loss(x, 2).item() == pytest.approx(expect, rel=1e-6)


def test_memory_init_and_buffers():
    conn = _make()
    stdv = 1 / math.sqrt(8 / 3)
    for name in ('memory_s', 'memory_t'):
        mem = getattr(conn, name)
        assert mem.shape == (20, 8)
        assert mem.abs().max() <= stdv
        assert not mem.requires_grad
    assert conn.z_s.item() == -1 and conn.z_t.item() == -1
    assert {'memory_s', 'memory_t', 'z_s', 'z_t'} <= set(conn.state_dict())
    names = {n for n, _ in conn.named_parameters()}
    assert names == {
        'embed_s.linear.weight', 'embed_s.linear.bias', 'embed_t.linear.weight',
        'embed_t.linear.bias'
    }


def test_scores_z_and_momentum_update():
    conn = _make()
    s, t, idx, cidx = _batch()
    mem_s0 = conn.memory_s.double().numpy().copy()
    mem_t0 = conn.memory_t.double().numpy().copy()
    v_s = _embed_ref(conn.embed_s.linear, s)
    v_t = _embed_ref(conn.embed_t.linear, t)

    out_s, out_t = conn(s, t, idx, cidx)

    raw_s = _scores_ref(mem_t0, cidx.numpy(), v_s, 0.07)  # student anchor, teacher bank
    raw_t = _scores_ref(mem_s0, cidx.numpy(), v_t, 0.07)  # teacher anchor, student bank
    z_s, z_t = raw_s.mean() * 20, raw_t.mean() * 20
    assert conn.z_s.item() == pytest.approx(z_s, rel=1e-4)
    assert conn.z_t.item() == pytest.approx(z_t, rel=1e-4)
    np.testing.assert_allclose(out_s.detach().numpy(), raw_s / z_s, rtol=1e-4)
    np.testing.assert_allclose(out_t.detach().numpy(), raw_t / z_t, rtol=1e-4)

    # momentum update of the rows of the batch, nothing else touched
    exp_s, exp_t = mem_s0.copy(), mem_t0.copy()
    for b, i in enumerate(idx.tolist()):
        exp_s[i] = _normalize_rows((0.5 * mem_s0[i] + 0.5 * v_s[b])[None])[0]
        exp_t[i] = _normalize_rows((0.5 * mem_t0[i] + 0.5 * v_t[b])[None])[0]
    np.testing.assert_allclose(conn.memory_s.numpy(), exp_s, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conn.memory_t.numpy(), exp_t, rtol=1e-5, atol=1e-6)

    # Z is frozen after the first call: the second call divides by the same constants
    s2, t2, idx2, cidx2 = _batch(seed=7)
    mem_s1, mem_t1 = conn.memory_s.double().numpy().copy(), conn.memory_t.double().numpy().copy()
    out_s2, out_t2 = conn(s2, t2, idx2, cidx2)
    assert conn.z_s.item() == pytest.approx(z_s, rel=1e-4)
    assert conn.z_t.item() == pytest.approx(z_t, rel=1e-4)
    raw_s2 = _scores_ref(mem_t1, cidx2.numpy(), _embed_ref(conn.embed_s.linear, s2), 0.07)
    np.testing.assert_allclose(out_s2.detach().numpy(), raw_s2 / z_s, rtol=1e-4)
    raw_t2 = _scores_ref(mem_s1, cidx2.numpy(), _embed_ref(conn.embed_t.linear, t2), 0.07)
    np.testing.assert_allclose(out_t2.detach().numpy(), raw_t2 / z_t, rtol=1e-4)


def test_loss_module_and_gradients():
    conn = _make()
    loss_mod = CRDLoss(n_data=20)
    assert loss_mod.loss_weight == 0.8 and CRDLoss.source == 'emb'
    s, t, idx, cidx = _batch()
    s.requires_grad_(True)
    t.requires_grad_(True)
    out_s, out_t = conn(s, t, idx, cidx)
    loss = loss_mod(out_s, out_t)
    expect = 0.8 * (_nce_ref(out_s.detach().numpy(), 20) + _nce_ref(out_t.detach().numpy(), 20))
    assert loss.item() == pytest.approx(expect, rel=1e-5)
    loss.backward()
    for p in conn.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None  # the teacher embedding is detached inside the connector
    with pytest.raises(ValueError, match='n_data'):
        CRDLoss()(out_s.detach(), out_t.detach())
    assert CRDLoss()(
        out_s.detach(), out_t.detach(), n_data=20).item() == pytest.approx(
            loss.item(), rel=1e-6)


def test_state_dict_resume_is_exact():
    conn = _make(seed=0)
    conn(*_batch(seed=1))  # sets Z and updates the banks
    state = copy.deepcopy(conn.state_dict())
    resumed = _make(seed=123)  # different random init
    resumed.load_state_dict(state)
    assert resumed.z_s.item() == conn.z_s.item() > 0
    batch = _batch(seed=5)
    a = conn(*batch)
    b = resumed(*batch)
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    torch.testing.assert_close(conn.memory_s, resumed.memory_s, rtol=0, atol=0)


def test_contrast_idx_drawn_when_missing_and_seedable():
    conn = _make()
    s, t, idx, _ = _batch()
    torch.manual_seed(3)
    c1 = conn.draw_contrast_idx(idx)
    torch.manual_seed(3)
    c2 = conn.draw_contrast_idx(idx)
    assert torch.equal(c1, c2) and c1.shape == (4, 6)
    assert torch.equal(c1[:, 0], idx)
    assert c1.min() >= 0 and c1.max() < 20
    out_s, out_t = conn(s, t, idx)
    assert out_s.shape == out_t.shape == (4, 6)


def test_wrong_k_raises():
    conn = _make()
    s, t, idx, cidx = _batch(nce_k=3)
    with pytest.raises(ValueError, match='nce_k'):
        conn(s, t, idx, cidx)


def test_bf16_autocast_matches_fp32():
    conn = _make()
    ref = copy.deepcopy(conn)
    s, t, idx, cidx = _batch()
    loss_mod = CRDLoss(n_data=20)
    expect = loss_mod(*ref(s, t, idx, cidx))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = conn(s.bfloat16(), t.bfloat16(), idx, cidx)
        got = loss_mod(*out)
    assert out[0].dtype == torch.float32 and conn.memory_s.dtype == torch.float32
    assert got.item() == pytest.approx(expect.item(), rel=5e-2)


def test_build_by_name():
    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    register_all_modules()
    loss = MODELS.build(dict(type='CRDLoss', n_data=20))
    assert isinstance(loss, CRDLoss) and loss.loss_weight == 0.8
    conn = MODELS.build(
        dict(
            type='CRDConnector',
            s_shape=torch.Size([6]),
            t_shape=torch.Size([10]),
            n_data=20,
            nce_k=5))
    assert isinstance(conn, CRDConnector) and conn.memory_t.shape == (20, 128)
    with pytest.raises(ValueError, match='n_data'):
        CRDConnector(torch.Size([6]), torch.Size([10]), n_data=None)
