"""VIDLoss and VIDConnector: RepDistiller/SemCKD distiller_zoo/VID.py."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.connectors.vid import VIDConnector
from mmkd.models.losses.vid import VIDLoss, vid_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def np_vid(means, targets, variances):
    """Loop version of the Gaussian NLL (no constant), mean per pair, summed over pairs."""
    total = 0.0
    for mu, t, var in zip(means, targets, variances):
        mu, t, var = (np.asarray(x, np.float64) for x in (mu, t, var))
        B, C, H, W = mu.shape
        acc = 0.0
        for b in range(B):
            for c in range(C):
                for h in range(H):
                    for w in range(W):
                        acc += 0.5 * (
                            (mu[b, c, h, w] - t[b, c, h, w])**2 / var[c] + math.log(var[c]))
        total += acc / (B * C * H * W)
    return total


def test_hand_computed():
    # one element: mu = 1, t = 3, var = 2 -> 0.5 * (4 / 2 + ln 2) = 1 + ln(2) / 2
    mu, t, var = torch.ones(1, 1, 1, 1), torch.full((1, 1, 1, 1), 3.), torch.tensor([2.])
    assert vid_loss([mu], [t], [var]).item() == pytest.approx(1 + math.log(2) / 2, rel=1e-6)
    assert VIDLoss()([mu], [t], [var]).item() == pytest.approx(1 + math.log(2) / 2, rel=1e-6)


def test_numpy_reference():
    g = torch.Generator().manual_seed(0)
    means = [torch.randn(2, 3, 4, 4, generator=g), torch.randn(2, 5, 2, 2, generator=g)]
    targets = [torch.randn(2, 3, 4, 4, generator=g), torch.randn(2, 5, 2, 2, generator=g)]
    variances = [torch.rand(3, generator=g) + 0.5, torch.rand(5, generator=g) + 0.5]
    assert vid_loss(means, targets, variances).item() == pytest.approx(
        np_vid(means, targets, variances), rel=1e-5)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='VIDLoss'))
    assert isinstance(loss, VIDLoss) and loss.source == 'stages' and loss.loss_weight == 1.0
    conn = MODELS.build(dict(type='VIDConnector', s_shape=[(4, 4, 4)], t_shape=[(4, 4, 4)]))
    assert isinstance(conn, VIDConnector)
