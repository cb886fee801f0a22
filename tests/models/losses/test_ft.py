"""FTLoss, FTReconstructionLoss and FTConnector: RepDistiller distiller_zoo/FT.py,
models/util.py, helper/pretrain.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.connectors.ft import FTConnector
from mmkd.models.losses.ft import FTLoss, FTReconstructionLoss, ft_loss, ft_reconstruction_loss
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


def np_factor(f):
    C, H, W = f.shape
    a = [sum(f[c, h, w]**2 for c in range(C)) / C for h in range(H) for w in range(W)]
    n = math.sqrt(sum(v * v for v in a))
    return [v / max(n, 1e-12) for v in a]


def np_ft(s, t):
    s, t = np.asarray(s, np.float64), np.asarray(t, np.float64)
    vals = []
    for b in range(s.shape[0]):
        fs, ft = s[b], t[b]
        if fs.shape[1] > ft.shape[1]:
            fs = np_adaptive_pool(fs, ft.shape[1])
        elif fs.shape[1] < ft.shape[1]:
            ft = np_adaptive_pool(ft, fs.shape[1])
        vals += [abs(x - y) for x, y in zip(np_factor(fs), np_factor(ft))]
    return sum(vals) / len(vals)


def test_hand_computed():
    # one sample, 1 channel 2x2: s^2 -> [1,0,0,0] -> [1,0,0,0]; t^2 -> [1,1,1,1] -> [.5,.5,.5,.5]
    # L1 mean = (0.5 + 0.5 * 3) / 4 = 0.5 ; x200 = 100
    s = torch.tensor([[[[1., 0.], [0., 0.]]]])
    t = torch.tensor([[[[1., -1.], [1., -1.]]]])
    assert ft_loss(s, t).item() == pytest.approx(0.5, rel=1e-6)
    assert FTLoss()(s, t).item() == pytest.approx(100.0, rel=1e-6)


def test_numpy_reference_with_mismatched_sizes():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(2, 3, 8, 8, generator=g), torch.randn(2, 5, 4, 4, generator=g)
    assert ft_loss(s, t).item() == pytest.approx(np_ft(s, t), rel=1e-5)
    assert ft_loss(t, s).item() == pytest.approx(np_ft(t, s), rel=1e-5)


def test_reconstruction_loss():
    # (rec - t) = [1, -1, 2, 0] -> mean of squares 6/4 = 1.5
    rec = torch.tensor([[[[1., 0.], [3., 1.]]]])
    t = torch.tensor([[[[0., 1.], [1., 1.]]]])
    assert ft_reconstruction_loss(rec, t).item() == pytest.approx(1.5)
    assert FTReconstructionLoss()(rec, t).item() == pytest.approx(1.5)


def test_stage_attributes():
    assert FTReconstructionLoss.init_stage_only is True
    assert not getattr(FTLoss, 'init_stage_only', False)
    assert FTLoss.source == FTReconstructionLoss.source == 'last_stage'


def test_connector_resnet32x4_to_resnet8x4():
    # both last stage maps are 256x8x8; factors have int(256 * 0.5) = 128 channels
    conn = FTConnector(torch.Size([256, 8, 8]), torch.Size([256, 8, 8]))

    def conv(cin, cout):  # 3x3 conv or transposed conv with bias
        return cin * cout * 9 + cout

    encoder = conv(256, 256) + conv(256, 128) + conv(128, 128)
    decoder = conv(128, 128) + conv(128, 256) + conv(256, 256)
    bn = 2 * 256 + 2 * 128 + 2 * 128
    assert sum(p.numel() for p in conn.paraphraser.parameters()) == encoder + decoder == 2065536
    assert sum(p.numel() for p in conn.translator.parameters()) == encoder + bn == 1033728
    s, t = torch.randn(2, 256, 8, 8), torch.randn(2, 256, 8, 8)
    f_s, f_t = conn(s, t)
    assert f_s.shape == f_t.shape == (2, 128, 8, 8)
    assert conn.reconstruct(t).shape == t.shape


def test_connector_main_stage_gradients():
    # main stage: gradient reaches the student and the translator, not the paraphraser
    conn = FTConnector((8, 4, 4), (16, 2, 2))
    s = torch.randn(2, 8, 4, 4, requires_grad=True)
    t = torch.randn(2, 16, 2, 2)
    f_s, f_t = conn(s, t)
    assert f_s.shape == (2, 8, 4, 4) and f_t.shape == (2, 8, 2, 2)
    assert not f_t.requires_grad
    FTLoss()(f_s, f_t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert conn.translator.encoder[0].weight.grad is not None
    assert all(p.grad is None for p in conn.paraphraser.parameters())
    assert t.grad is None


def test_connector_init_stage_gradients():
    # init stage: the reconstruction loss trains the paraphraser (encoder and decoder) only
    conn = FTConnector((8, 4, 4), (16, 4, 4))
    t = torch.randn(2, 16, 4, 4)
    FTReconstructionLoss()(conn.reconstruct(t), t).backward()
    assert all(p.grad is not None for p in conn.paraphraser.parameters())
    assert all(p.grad is None for p in conn.translator.parameters())


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(4, 8, 8, 8, generator=g), torch.randn(4, 8, 8, 8, generator=g)
    for loss in (FTLoss(), FTReconstructionLoss()):
        ref = loss(s, t)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = loss(s.bfloat16(), t.bfloat16())
        assert out.dtype == torch.float32
        exact = loss(s.bfloat16().float(), t.bfloat16().float())
        torch.testing.assert_close(out, exact, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='FTLoss'))
    assert isinstance(loss, FTLoss) and loss.loss_weight == 200.0 and (loss.p1, loss.p2) == (2, 1)
    assert isinstance(MODELS.build(dict(type='FTReconstructionLoss')), FTReconstructionLoss)
    conn = MODELS.build(dict(type='FTConnector', s_shape=(8, 4, 4), t_shape=(8, 4, 4)))
    assert isinstance(conn, FTConnector)


def test_stage_switch_drives_both_stages_with_one_connector():
    # set_stage('init'): connector gives (reconstruction, teacher), FTLoss gives their MSE (x1);
    # set_stage('main'): factors and the factor loss (x200)
    conn, loss = FTConnector((8, 4, 4), (16, 4, 4)), FTLoss()
    s, t = torch.randn(2, 8, 4, 4), torch.randn(2, 16, 4, 4)
    conn.set_stage('init')
    loss.set_stage('init')
    rec, target = conn(s, t)
    assert target is t and rec.shape == t.shape
    out = loss(rec, target)
    assert out.item() == pytest.approx(np.mean((rec.detach().numpy() - t.numpy())**2), rel=1e-5)
    out.backward()
    assert all(p.grad is not None for p in conn.paraphraser.parameters())
    assert all(p.grad is None for p in conn.translator.parameters())
    conn.set_stage('main')
    loss.set_stage('main')
    f_s, f_t = conn(s, t)
    assert f_s.shape == f_t.shape == (2, 8, 4, 4)
    assert loss(f_s, f_t).item() == pytest.approx(200 * np_ft(f_s.detach(), f_t), rel=1e-5)
