"""SemCKD: SelfA connector (SemCKD models/util.py) and loss (distiller_zoo/SemCKD.py) vs loop
re-statements."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkd.models.connectors.semckd import SelfAttentionConnector
from mmkd.models.losses.semckd import SemCKDLoss, semckd_loss

B = 8
S_SHAPES = [(4, 8, 8), (6, 4, 4)]  # student: one map larger, one smaller than teacher 0
T_SHAPES = [(5, 4, 4), (3, 8, 8), (7, 2, 2)]


def _feats(shapes, seed, bsz=B):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(bsz, *s, generator=g).relu() for s in shapes]


def _mlp_ref(mlp, x):

    def np64(p):
        return p.detach().double().numpy()

    w1, b1 = np64(mlp.linear1.weight), np64(mlp.linear1.bias)
    w2, b2 = np64(mlp.linear2.weight), np64(mlp.linear2.bias)
    h = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    return h / np.sqrt((h**2).sum(axis=1, keepdims=True))


def _alpha_ref(conn, s_list, t_list):
    """Gram rows -> MLPs -> per-sample softmax over teacher layers, with explicit loops."""

    def gram(f):
        x = f.detach().double().numpy().reshape(f.shape[0], -1)
        return x @ x.T

    q = [_mlp_ref(m, gram(f)) for m, f in zip(conn.query_mlps, s_list)]
    k = [_mlp_ref(m, gram(f)) for m, f in zip(conn.key_mlps, t_list)]
    alpha = np.zeros((B, len(q), len(k)))
    for b in range(B):
        for i in range(len(q)):
            e = np.array([float(np.dot(q[i][b], k[j][b])) for j in range(len(k))])
            alpha[b, i] = np.exp(e) / np.exp(e).sum()
    return alpha


def _loss_ref(proj, tgt, alpha):
    alpha = np.asarray(alpha, dtype=np.float64)
    bsz, ns, nt = alpha.shape
    total = 0.0
    for b in range(bsz):
        for i in range(ns):
            for j in range(nt):
                p = proj[i][j][b].detach().double().numpy()
                t = tgt[i][j][b].detach().double().numpy()
                total += alpha[b, i, j] * ((p - t)**2).mean()
    return total / (bsz * ns)


def _conn(seed=0):
    torch.manual_seed(seed)
    return SelfAttentionConnector([torch.Size(s) for s in S_SHAPES],
                                  [torch.Size(t) for t in T_SHAPES],
                                  batch_size=B)


def test_loss_matches_loop():
    g = torch.Generator().manual_seed(0)
    proj = [[torch.randn(B, 3, 2, 2, generator=g) for _ in range(3)] for _ in range(2)]
    tgt = [[torch.randn(B, 3, 2, 2, generator=g) for _ in range(3)] for _ in range(2)]
    alpha = torch.softmax(torch.randn(B, 2, 3, generator=g), dim=-1)
    got = semckd_loss(proj, tgt, alpha)
    assert got.item() == pytest.approx(_loss_ref(proj, tgt, alpha.numpy()), rel=1e-5)
    assert SemCKDLoss()(proj, tgt, alpha).item() == pytest.approx(400 * got.item(), rel=1e-6)
    # hand-computed: B = 1, S = 1, T = 2, d = (1, 4), alpha = (0.25, 0.75) -> 0.25 + 3 = 3.25
    proj = [[torch.ones(1, 1, 1, 1), torch.full((1, 1, 1, 1), 2.0)]]
    tgt = [[torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1)]]
    assert semckd_loss(proj, tgt, torch.tensor([[[0.25, 0.75]]])).item() == pytest.approx(3.25)


def test_attention_and_spatial_alignment():
    conn = _conn()
    s_list, t_list = _feats(S_SHAPES, 1), _feats(T_SHAPES, 2)
    proj, tgt, alpha = conn(s_list, t_list)
    assert alpha.shape == (B, 2, 3)
    np.testing.assert_allclose(
        alpha.detach().numpy(), _alpha_ref(conn, s_list, t_list), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(alpha.sum(-1).detach().numpy(), np.ones((B, 2)), rtol=1e-6)
    for i, fs in enumerate(s_list):
        for j, ft in enumerate(t_list):
            s_h, t_h = fs.shape[2], ft.shape[2]
            h = min(s_h, t_h)
            assert proj[i][j].shape == tgt[i][j].shape == (B, ft.shape[1], h, h)
            reg = conn.regressors[i][j]
            if s_h > t_h:  # pool the student first, then regress; target = teacher unchanged
                expect_p = reg(F.adaptive_avg_pool2d(fs, (t_h, t_h)))
                expect_t = ft
            else:  # regress at native size; target = teacher pooled to the student's size
                expect_p = reg(fs)
                # average pooling by hand (integer ratio)
                r = t_h // s_h
                expect_t = ft.reshape(B, ft.shape[1], s_h, r, s_h, r).mean(dim=(3, 5))
            torch.testing.assert_close(proj[i][j], expect_p, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(tgt[i][j], expect_t, rtol=1e-5, atol=1e-6)


def test_module_structure():
    conn = SelfAttentionConnector([torch.Size((16, 8, 8))], [torch.Size((32, 8, 8))], batch_size=64)
    mlp = conn.query_mlps[0]
    assert (mlp.linear1.in_features, mlp.linear1.out_features) == (64, 32)
    assert (mlp.linear2.in_features, mlp.linear2.out_features) == (32, 16)
    assert mlp.linear1.bias is not None and mlp.linear2.bias is not None
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in conn.modules())
    convs = [m for m in conn.regressors[0][0] if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [(16, 64, (1, 1)),
                                                                               (64, 64, (3, 3)),
                                                                               (64, 32, (1, 1))]
    assert all(c.bias is None for c in convs)
    assert isinstance(conn.regressors[0][0][-1], torch.nn.Conv2d)  # linear output


def test_gradient_flow_alpha_not_detached():
    conn = _conn()
    s_list = [f.requires_grad_(True) for f in _feats(S_SHAPES, 1)]
    t_list = [f.requires_grad_(True) for f in _feats(T_SHAPES, 2)]
    proj, tgt, alpha = conn(s_list, t_list)
    assert alpha.requires_grad
    loss = SemCKDLoss()(proj, tgt, alpha)
    loss.backward()
    for mlps in (conn.query_mlps, conn.key_mlps):
        for mlp in mlps:
            for p in mlp.parameters():
                assert p.grad is not None and p.grad.abs().sum() > 0
    for row in conn.regressors:
        for reg in row:
            assert all(p.grad is not None for p in reg.parameters())
    for f in s_list:
        assert f.grad is not None and f.grad.abs().sum() > 0
    for f in t_list:
        assert f.grad is None  # teacher gets no gradient

    # the student also gets gradient through the Gram/query path: detaching alpha changes it
    grads_full = [f.grad.clone() for f in s_list]
    conn.zero_grad()
    s2 = [f.detach().clone().requires_grad_(True) for f in s_list]
    proj, tgt, alpha = conn(s2, [f.detach() for f in t_list])
    SemCKDLoss()(proj, tgt, alpha.detach()).backward()
    assert any(not torch.allclose(a, b.grad) for a, b in zip(grads_full, s2))


def test_wrong_batch_size_raises():
    conn = _conn()
    with pytest.raises(ValueError, match='drop_last=True') as err:
        conn(_feats(S_SHAPES, 1, bsz=B - 2), _feats(T_SHAPES, 2, bsz=B - 2))
    assert f'batch_size={B}' in str(err.value)
    with pytest.raises(ValueError):
        conn(_feats(S_SHAPES[:1], 1), _feats(T_SHAPES, 2))


@pytest.mark.parametrize(
    'pair,expect_m',
    [
        # resnet32x4 -> resnet8x4 (feats[1:-1] of both)
        (([(64, 32, 32), (128, 16, 16), (256, 8, 8)], [(64, 32, 32), (128, 16, 16),
                                                       (256, 8, 8)]), 10.23),
        # wrn_40_2 (teacher) -> MobileNetV2 (student)
        (([(12, 16, 16), (16, 8, 8), (48, 4, 4), (160, 2, 2)], [(32, 32, 32), (64, 16, 16),
                                                                (128, 8, 8)]), 3.40),
    ])
def test_parameter_counts_match_spec(pair, expect_m):
    s_shapes, t_shapes = pair
    conn = SelfAttentionConnector([torch.Size(s) for s in s_shapes],
                                  [torch.Size(t) for t in t_shapes],
                                  batch_size=64)
    n = sum(p.numel() for p in conn.parameters())
    assert round(n / 1e6, 2) == expect_m
    # each key/query MLP: 64*32+32 + 32*16+16 = 2608
    assert sum(p.numel() for p in conn.query_mlps[0].parameters()) == 2608


def test_bf16_autocast_matches_fp32():
    conn = _conn()
    s_list, t_list = _feats(S_SHAPES, 1), _feats(T_SHAPES, 2)
    expect = SemCKDLoss()(*conn(s_list, t_list))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = conn([f.bfloat16() for f in s_list], [f.bfloat16() for f in t_list])
        got = SemCKDLoss()(*out)
    assert out[2].dtype == torch.float32 and got.dtype == torch.float32
    assert got.item() == pytest.approx(expect.item(), rel=5e-2)


def test_build_by_name():
    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    register_all_modules()
    loss = MODELS.build(dict(type='SemCKDLoss'))
    assert loss.loss_weight == 400 and loss.source == 'stages'
    conn = MODELS.build(
        dict(type='SelfAttentionConnector', s_shape=S_SHAPES, t_shape=T_SHAPES, batch_size=B))
    assert isinstance(conn, SelfAttentionConnector)
    assert len(conn.regressors) == 2 and len(conn.regressors[0]) == 3
    assert math.isclose(conn.query_mlps[0].linear2.out_features, B // 4)
