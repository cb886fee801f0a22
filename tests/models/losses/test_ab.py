"""ABLoss and ABConnector: RepDistiller distiller_zoo/AB.py, models/util.py
``Connector``, helper/pretrain.py."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from mmkd.models.connectors.ab import ABConnector
from mmkd.models.connectors.conv_reg import ConvRegConnector
from mmkd.models.losses.ab import ABLoss, ab_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def np_ab(s_feats, t_feats, m=1.0):
    n = len(s_feats)
    total = 0.0
    for i, (s, t) in enumerate(zip(s_feats, t_feats)):
        s = np.asarray(s, np.float64).ravel()
        t = np.asarray(t, np.float64).ravel()
        acc = 0.0
        for x, y in zip(s, t):
            if x > -m and y <= 0:
                acc += (x + m)**2
            if x <= m and y > 0:
                acc += (x - m)**2
        B = np.asarray(s_feats[0]).shape[0]
        total += 2.0**(i - n + 1) * acc / B * 3 / 1000
    return total


def test_hand_computed():
    # one layer, one sample, elements (s, t):
    #   (-2, -1): t <= 0 but s <= -m -> 0
    #   (-0.5, -1): t <= 0, s > -1 -> (s + 1)^2 = 0.25
    #   (0.5, 1): t > 0, s <= 1 -> (s - 1)^2 = 0.25
    #   (2, 1): t > 0 but s > m -> 0
    # sum 0.5, weight 2^0 = 1, / B = 1, * 3/1000 -> 0.0015
    s = torch.tensor([[[[-2., -0.5], [0.5, 2.]]]])
    t = torch.tensor([[[[-1., -1.], [1., 1.]]]])
    assert ab_loss([s], [t]).item() == pytest.approx(0.0015, rel=1e-6)
    assert ABLoss()([s], [t]).item() == pytest.approx(0.0015, rel=1e-6)


def test_numpy_reference_layer_weights():
    g = torch.Generator().manual_seed(0)
    s = [torch.randn(2, 3, 4, 4, generator=g) * 2 for _ in range(3)]
    t = [torch.randn(2, 3, 4, 4, generator=g) for _ in range(3)]
    # layer weights 1/4, 1/2, 1
    assert ab_loss(s, t).item() == pytest.approx(np_ab(s, t), rel=1e-5)
    assert ab_loss(s, t, margin=0.5).item() == pytest.approx(np_ab(s, t, 0.5), rel=1e-5)


def test_class_attributes():
    assert ABLoss.preact is True and ABLoss.init_stage_only is True
    assert ABLoss.source == 'stages'


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
    assert all(isinstance(c, ConvRegConnector) and isinstance(c.conv, nn.ConvTranspose2d)
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


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(1)
    s = [torch.randn(4, 8, 4, 4, generator=g) for _ in range(2)]
    t = [torch.randn(4, 8, 4, 4, generator=g) for _ in range(2)]
    loss = ABLoss()
    ref = loss(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss([x.bfloat16() for x in s], [x.bfloat16() for x in t])
    assert out.dtype == torch.float32
    exact = loss([x.bfloat16().float() for x in s], [x.bfloat16().float() for x in t])
    torch.testing.assert_close(out, exact, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='ABLoss'))
    assert isinstance(loss, ABLoss) and loss.loss_weight == 1.0 and loss.margin == 1.0
    conn = MODELS.build(dict(type='ABConnector', s_shape=[(4, 4, 4)], t_shape=[(4, 4, 4)]))
    assert isinstance(conn, ABConnector)
