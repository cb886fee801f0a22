"""VIDConnector."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.connectors.vid import VIDConnector
from mmkd.models.losses.vid import VIDLoss
from tests.models.losses.test_vid import np_vid
from tests.np_reference import np_adaptive_pool


def test_log_scale_init():
    conn = VIDConnector([(4, 8, 8)], [(6, 8, 8)])
    # inverse softplus of 5 - 1e-5: log(exp(4.99999) - 1)
    expected = math.log(math.exp(5.0 - 1e-5) - 1.0)
    assert expected == pytest.approx(4.993229, abs=1e-6)
    torch.testing.assert_close(
        conn.layers[0].log_scale.detach(), torch.full((6, ), expected), rtol=0, atol=1e-6)
    # so the initial variance is 5: log(1 + exp(log_scale)) + 1e-5
    torch.testing.assert_close(conn.layers[0].variance().detach(), torch.full((6, ), 5.0))


def test_connector_resnet32x4_to_resnet8x4():
    shapes = [torch.Size([64, 32, 32]), torch.Size([128, 16, 16]), torch.Size([256, 8, 8])]
    conn = VIDConnector(shapes, shapes)
    # per layer: conv1x1 Cs->Ct + Ct->Ct + Ct->Ct (no bias) + log_scale Ct
    expected = sum(c * c + c * c + c * c + c for c in (64, 128, 256))
    assert expected == 258496
    assert sum(p.numel() for p in conn.parameters()) == expected
    s = [torch.randn(2, *sh) for sh in shapes]
    t = [torch.randn(2, *sh) for sh in shapes]
    means, targets, variances = conn(s, t)
    assert [m.shape for m in means] == [x.shape for x in t]
    assert [v.shape for v in variances] == [(64, ), (128, ), (256, )]


def test_connector_pools_larger_map_before_regressor():
    # student 8x8 > teacher 4x4: student pooled then regressed; student 2x2 < teacher 6x6:
    # teacher pooled (6 -> 2)
    conn = VIDConnector([(3, 8, 8), (3, 2, 2)], [(4, 4, 4), (4, 6, 6)])
    g = torch.Generator().manual_seed(1)
    s = [torch.randn(2, 3, 8, 8, generator=g), torch.randn(2, 3, 2, 2, generator=g)]
    t = [torch.randn(2, 4, 4, 4, generator=g), torch.randn(2, 4, 6, 6, generator=g)]
    means, targets, variances = conn(s, t)
    assert means[0].shape == targets[0].shape == (2, 4, 4, 4)
    assert means[1].shape == targets[1].shape == (2, 4, 2, 2)
    pooled_s = torch.from_numpy(np.stack([np_adaptive_pool(x.numpy(), 4) for x in s[0]])).float()
    torch.testing.assert_close(means[0], conn.layers[0](pooled_s), rtol=1e-5, atol=1e-6)
    pooled_t = np.stack([np_adaptive_pool(x.numpy(), 2) for x in t[1]])
    np.testing.assert_allclose(targets[1].numpy(), pooled_t, rtol=1e-5, atol=1e-6)
    loss = VIDLoss()(means, targets, variances)
    assert loss.item() == pytest.approx(
        np_vid([m.detach() for m in means], targets, [v.detach() for v in variances]), rel=1e-5)


def test_gradient_reaches_student_and_connector_only():
    conn = VIDConnector([(3, 4, 4)], [(5, 4, 4)])
    s = [torch.randn(2, 3, 4, 4, requires_grad=True)]
    t = [torch.randn(2, 5, 4, 4)]
    VIDLoss()(*conn(s, t)).backward()
    assert s[0].grad is not None and s[0].grad.abs().sum() > 0
    assert conn.layers[0].log_scale.grad is not None
    assert t[0].grad is None
