"""ABConnector (AB's connector), moved from the loss tests."""
import pytest
import torch
import torch.nn as nn

from mmkd.models.connectors.ab import ABConnector
from mmkd.models.connectors.conv_reg import ConvRegConnector
from mmkd.models.losses.ab import ABLoss


def test_connector_identity_when_shapes_match():
    shapes = [torch.Size([64, 32, 32]), torch.Size([128, 16, 16]), torch.Size([256, 8, 8])]
    conn = ABConnector(shapes, shapes)  # resnet8x4 student vs resnet32x4 teacher
    assert sum(p.numel() for p in conn.parameters()) == 0
    s = [torch.randn(1, *sh) for sh in shapes]
    t = [torch.randn(1, *sh) for sh in shapes]
    out_s, out_t = conn(s, t)
    assert all(a is b for a, b in zip(out_s, s)) and all(a is b for a, b in zip(out_t, t))


def test_connector_resnet32x4_to_shufflev1():
    # ShuffleV1 stages 240x16x16, 480x8x8, 960x4x4 vs resnet32x4 64x32x32, 128x16x16, 256x8x8:
    # every pair is 2*s_H == t_H -> ConvTranspose 4x4 (with bias) + BN, no ReLU
    s_shapes = [(240, 16, 16), (480, 8, 8), (960, 4, 4)]
    t_shapes = [(64, 32, 32), (128, 16, 16), (256, 8, 8)]
    conn = ABConnector(s_shapes, t_shapes)
    assert all(
        isinstance(c, ConvRegConnector) and isinstance(c.conv, nn.ConvTranspose2d)
        and not c.use_relu for c in conn.connectors)
    expected = sum(cs * ct * 16 + ct + 2 * ct for (cs, _, _), (ct, _, _) in zip(s_shapes, t_shapes))
    assert expected == 245952 + 983424 + 3932928
    assert sum(p.numel() for p in conn.parameters()) == expected
    out_s, out_t = conn([torch.randn(2, *sh) for sh in s_shapes],
                        [torch.randn(2, *sh) for sh in t_shapes])
    assert [o.shape[1:] for o in out_s] == [torch.Size(sh) for sh in t_shapes]
    assert any((o < 0).any() for o in out_s)  # no ReLU: pre-activations keep their sign


def test_connector_needs_equal_counts():
    with pytest.raises(ValueError, match='as many'):
        ABConnector([(4, 4, 4)] * 4, [(4, 4, 4)] * 3)


def test_gradient_reaches_student_and_connector_only():
    conn = ABConnector([(4, 8, 8)], [(6, 8, 8)])
    s = [torch.randn(2, 4, 8, 8, requires_grad=True)]
    t = [torch.randn(2, 6, 8, 8)]
    ABLoss()(*conn(s, t)).backward()
    assert s[0].grad is not None and s[0].grad.abs().sum() > 0
    assert conn.connectors[0].conv.weight.grad is not None
    assert t[0].grad is None
