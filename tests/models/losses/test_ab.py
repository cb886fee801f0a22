"""ABLoss and ABConnector: RepDistiller distiller_zoo/AB.py, models/util.py
``Connector``, helper/pretrain.py."""
import numpy as np
import pytest
import torch

from mmkd.models.connectors.ab import ABConnector
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


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='ABLoss'))
    assert isinstance(loss, ABLoss) and loss.loss_weight == 1.0 and loss.margin == 1.0
    conn = MODELS.build(dict(type='ABConnector', s_shape=[(4, 4, 4)], t_shape=[(4, 4, 4)]))
    assert isinstance(conn, ABConnector)
