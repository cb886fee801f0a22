"""FTConnector (paraphraser and translator)."""
import numpy as np
import pytest
import torch

from mmkd.models.connectors.ft import FTConnector
from mmkd.models.losses.ft import FTLoss, FTReconstructionLoss
from tests.models.losses.test_ft import np_ft


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
