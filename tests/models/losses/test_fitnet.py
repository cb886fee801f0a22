"""FitNetLoss and ConvRegConnector: RepDistiller/SemCKD distiller_zoo/FitNet.py,
models/util.py ``ConvReg``."""
import numpy as np
import pytest
import torch

from mmkd.models.connectors.conv_reg import ConvRegConnector
from mmkd.models.losses.fitnet import FitNetLoss, fitnet_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def np_mse(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return sum((x - y)**2 for x, y in zip(a, b)) / len(a)


def test_hand_computed():
    # s - t = [1, -2, 0, 3] -> mean of squares = (1 + 4 + 0 + 9) / 4 = 3.5 ; x100 = 350
    s = torch.tensor([[[[1., 0.], [2., 5.]]]])
    t = torch.tensor([[[[0., 2.], [2., 2.]]]])
    assert fitnet_loss(s, t).item() == pytest.approx(3.5)
    assert FitNetLoss()(s, t).item() == pytest.approx(350.0)


def test_numpy_reference_and_batch_of_one():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(3, 4, 5, 5, generator=g), torch.randn(3, 4, 5, 5, generator=g)
    assert fitnet_loss(s, t).item() == pytest.approx(np_mse(s, t), rel=1e-5)
    assert fitnet_loss(s[:1], t[:1]).item() == pytest.approx(np_mse(s[:1], t[:1]), rel=1e-5)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='connector'):
        fitnet_loss(torch.randn(2, 4, 8, 8), torch.randn(2, 4, 4, 4))


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='FitNetLoss'))
    assert isinstance(loss, FitNetLoss) and loss.loss_weight == 100.0 and loss.source == 2
    conn = MODELS.build(dict(type='ConvRegConnector', s_shape=(8, 4, 4), t_shape=(8, 4, 4)))
    assert isinstance(conn, ConvRegConnector)
