"""CCLoss and LinearEmbedConnector: RepDistiller/SemCKD distiller_zoo/CC.py."""
import numpy as np
import pytest
import torch

from mmkd.models.connectors.linear_embed import LinearEmbedConnector
from mmkd.models.losses.cc import CCLoss, cc_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def np_cc(s, t):
    """Loop version: residual of consecutive samples, product summed over dims, mean over pairs."""
    s, t = np.asarray(s, np.float64), np.asarray(t, np.float64)
    B, D = s.shape
    vals = []
    for i in range(B - 1):
        vals.append(sum(abs(s[i, d] - t[i, d]) * abs(s[i + 1, d] - t[i + 1, d]) for d in range(D)))
    return sum(vals) / len(vals)


def test_hand_computed():
    # t = 0, so delta = |s|: rows [1, 2], [3, 4], [0, 0]
    # consecutive products: 1*3 + 2*4 = 11 and 3*0 + 4*0 = 0 -> mean 5.5 ; x0.02 = 0.11
    s = torch.tensor([[1., -2.], [3., 4.], [0., 0.]])
    t = torch.zeros(3, 2)
    assert cc_loss(s, t).item() == pytest.approx(5.5)
    assert CCLoss()(s, t).item() == pytest.approx(0.11)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    assert cc_loss(s, t).item() == pytest.approx(np_cc(s, t), rel=1e-5)


def test_batch_of_one_is_zero():
    # no consecutive pair exists (the reference would return NaN from an empty mean)
    assert cc_loss(torch.randn(1, 4), torch.randn(1, 4)).item() == 0.0


def test_connector_shapes_and_parameters():
    # resnet32x4 -> resnet8x4: both pooled vectors are 256-d; Linear(256 -> 128) per side
    conn = LinearEmbedConnector(torch.Size([256]), torch.Size([256]))
    assert sum(p.numel() for p in conn.embed_s.parameters()) == 256 * 128 + 128
    assert sum(p.numel() for p in conn.parameters()) == 2 * (256 * 128 + 128)
    # different widths (e.g. ShuffleV2 1024 -> resnet32x4 256)
    conn = LinearEmbedConnector((1024, ), (256, ), dim_out=64)
    e_s, e_t = conn(torch.randn(3, 1024), torch.randn(3, 256))
    assert e_s.shape == e_t.shape == (3, 64)


def test_gradient_reaches_student_and_both_embeddings():
    conn = LinearEmbedConnector((16, ), (32, ))
    s = torch.randn(4, 16, requires_grad=True)
    t = torch.randn(4, 32)
    CCLoss()(*conn(s, t)).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None
    assert conn.embed_s.weight.grad is not None and conn.embed_t.weight.grad is not None


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(8, 128, generator=g), torch.randn(8, 128, generator=g)
    loss = CCLoss()
    ref = loss(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(s.bfloat16(), t.bfloat16())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, loss(s.bfloat16().float(), t.bfloat16().float()), rtol=1e-5,
                               atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='CCLoss'))
    assert isinstance(loss, CCLoss) and loss.source == 'emb' and loss.loss_weight == 0.02
    conn = MODELS.build(dict(type='LinearEmbedConnector', s_shape=(8, ), t_shape=(8, )))
    assert isinstance(conn, LinearEmbedConnector)
