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
from tests.np_reference import np_adaptive_pool


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


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='FTLoss'))
    assert isinstance(loss, FTLoss) and loss.loss_weight == 200.0 and (loss.p1, loss.p2) == (2, 1)
    assert isinstance(MODELS.build(dict(type='FTReconstructionLoss')), FTReconstructionLoss)
    conn = MODELS.build(dict(type='FTConnector', s_shape=(8, 4, 4), t_shape=(8, 4, 4)))
    assert isinstance(conn, FTConnector)
