"""ConvRegConnector (FitNet's regressor)."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from mmkd.models.connectors.conv_reg import ConvRegConnector
from mmkd.models.losses.fitnet import FitNetLoss
from tests.np_reference import np_adaptive_pool


@pytest.mark.parametrize(
    's_shape,t_shape,conv_type,kernel',
    [
        ((16, 32, 32), (32, 16, 16), nn.Conv2d, (3, 3)),  # s_H == 2 t_H
        ((16, 8, 8), (32, 16, 16), nn.ConvTranspose2d, (4, 4)),  # 2 s_H == t_H
        ((16, 10, 10), (32, 8, 8), nn.Conv2d, (3, 3)),  # valid conv 1 + 10 - 8
        ((16, 8, 8), (32, 8, 8), nn.Conv2d, (1, 1)),  # equal sizes
        ((16, 4, 4), (32, 16, 16), nn.Conv2d, (3, 3)),  # SemCKD fallback, teacher pooled
    ])
def test_conv_reg_branches(s_shape, t_shape, conv_type, kernel):
    conn = ConvRegConnector(torch.Size(s_shape), torch.Size(t_shape))
    assert type(conn.conv) is conv_type and tuple(conn.conv.kernel_size) == kernel
    s, t = torch.randn(2, *s_shape), torch.randn(2, *t_shape)
    out_s, out_t = conn(s, t)
    # the student is regressed to the teacher's size, except in the fallback (teacher pooled)
    h = s_shape[1] if conn.pool_teacher else t_shape[1]
    assert out_s.shape == out_t.shape == (2, t_shape[0], h, h)
    assert (out_s >= 0).all()  # ReLU


def test_conv_reg_fallback_pools_teacher():
    conn = ConvRegConnector((4, 4, 4), (8, 12, 12))
    t = torch.randn(2, 8, 12, 12)
    _, out_t = conn(torch.randn(2, 4, 4, 4), t)
    ref = np.stack([np_adaptive_pool(t[b].numpy(), 4) for b in range(2)])
    np.testing.assert_allclose(out_t.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_conv_reg_accepts_nchw_shapes_and_no_relu():
    conn = ConvRegConnector((1, 16, 8, 8), (1, 32, 8, 8), use_relu=False)
    out_s, _ = conn(torch.randn(4, 16, 8, 8), torch.randn(4, 32, 8, 8))
    assert (out_s < 0).any()


def test_conv_reg_parameter_count_resnet32x4_to_resnet8x4():
    # hint layer 2 of both: 128x16x16 -> 1x1 conv 128*128 + 128 bias, BN 2*128 = 16768
    conn = ConvRegConnector((128, 16, 16), (128, 16, 16))
    assert sum(p.numel() for p in conn.parameters()) == 128 * 128 + 128 + 2 * 128
    # hint layer 1 of resnet8x4 (64x32x32) -> wrn_40_2 layer 2 (64x16x16): 3x3 stride-2 conv
    conn = ConvRegConnector((64, 32, 32), (64, 16, 16))
    assert sum(p.numel() for p in conn.parameters()) == 64 * 64 * 9 + 64 + 2 * 64


def test_gradient_reaches_student_and_connector_only():
    conn = ConvRegConnector((8, 16, 16), (16, 8, 8))
    s = torch.randn(1, 8, 16, 16, requires_grad=True)  # batch of one (BN uses spatial stats)
    t = torch.randn(1, 16, 8, 8)
    FitNetLoss()(*conn(s, t)).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert conn.conv.weight.grad is not None
    assert t.grad is None
