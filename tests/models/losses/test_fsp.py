"""FSPLoss: RepDistiller distiller_zoo/FSP.py, helper/pretrain.py."""
import numpy as np
import pytest
import torch

from mmkd.models.losses.fsp import FSPLoss, fsp_loss
from tests.np_reference import np_adaptive_pool


def np_fsp_matrices(feats):
    feats = [np.asarray(f, np.float64) for f in feats]
    B = feats[0].shape[0]
    mats = []
    for i in range(len(feats) - 1):
        G = []
        for b in range(B):
            bot, top = feats[i][b], feats[i + 1][b]
            if bot.shape[1] > top.shape[1]:
                bot = np_adaptive_pool(bot, top.shape[1])
            elif bot.shape[1] < top.shape[1]:
                top = np_adaptive_pool(top, bot.shape[1])
            hw = bot.shape[1] * bot.shape[2]
            G.append([[
                sum(top[ct].ravel()[k] * bot[cb].ravel()[k] for k in range(hw)) / hw
                for cb in range(bot.shape[0])
            ] for ct in range(top.shape[0])])
        mats.append(np.array(G))
    return mats


def np_fsp(s_feats, t_feats):
    return sum(
        ((gs - gt)**2).mean() for gs, gt in zip(np_fsp_matrices(s_feats), np_fsp_matrices(t_feats)))


def test_hand_computed():
    # one sample, 1 channel, 2x2 maps: bot = [[1,2],[3,4]] for both
    # student top = ones -> G_s = mean(1,2,3,4) = 2.5 ; teacher top = 2 * ones -> G_t = 5
    # loss = (2.5 - 5)^2 = 6.25
    bot = torch.tensor([[[[1., 2.], [3., 4.]]]])
    s = [bot, torch.ones(1, 1, 2, 2)]
    t = [bot.clone(), 2 * torch.ones(1, 1, 2, 2)]
    assert fsp_loss(s, t).item() == pytest.approx(6.25)
    assert FSPLoss()(s, t).item() == pytest.approx(6.25)


def test_numpy_reference_stem_and_stages():
    # resnet8-like layout (stem, stages) at reduced size: 8x8, 8x8, 4x4, 2x2
    g = torch.Generator().manual_seed(0)
    shapes = [(2, 8, 8), (2, 8, 8), (3, 4, 4), (4, 2, 2)]
    s = [torch.randn(2, *sh, generator=g) for sh in shapes]
    t = [torch.randn(2, *sh, generator=g) for sh in shapes]
    assert fsp_loss(s, t).item() == pytest.approx(np_fsp(s, t), rel=1e-5)


def test_teacher_with_larger_maps_is_pooled():
    g = torch.Generator().manual_seed(1)
    s = [torch.randn(2, 2, 4, 4, generator=g), torch.randn(2, 3, 2, 2, generator=g)]
    t = [torch.randn(2, 2, 8, 8, generator=g), torch.randn(2, 3, 4, 4, generator=g)]
    assert fsp_loss(s, t).item() == pytest.approx(np_fsp(s, t), rel=1e-5)


def test_channel_mismatch_raises():
    s = [torch.randn(2, 16, 4, 4), torch.randn(2, 16, 4, 4)]
    t = [torch.randn(2, 16, 4, 4), torch.randn(2, 32, 4, 4)]
    with pytest.raises(ValueError, match='channel'):
        fsp_loss(s, t)


def test_class_attributes():
    assert FSPLoss.init_stage_only is True and FSPLoss.source == 'stem_and_stages'
