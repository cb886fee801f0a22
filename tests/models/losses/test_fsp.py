"""FSPLoss: RepDistiller distiller_zoo/FSP.py, helper/pretrain.py."""
import numpy as np
import pytest
import torch

from mmkd.models.losses.fsp import FSPLoss, fsp_loss
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def np_adaptive_pool(x, out):
    """Adaptive average pooling of a (C, H, W) array to (out, out), by loops."""
    C, H, W = x.shape
    y = np.zeros((C, out, out))
    for i in range(out):
        h0, h1 = (i * H) // out, -(-((i + 1) * H) // out)
        for j in range(out):
            w0, w1 = (j * W) // out, -(-((j + 1) * W) // out)
            y[:, i, j] = x[:, h0:h1, w0:w1].mean(axis=(1, 2))
    return y


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
            G.append([[sum(top[ct].ravel()[k] * bot[cb].ravel()[k] for k in range(hw)) / hw
                       for cb in range(bot.shape[0])] for ct in range(top.shape[0])])
        mats.append(np.array(G))
    return mats


def np_fsp(s_feats, t_feats):
    return sum(((gs - gt)**2).mean()
               for gs, gt in zip(np_fsp_matrices(s_feats), np_fsp_matrices(t_feats)))


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


def test_gradient_reaches_student_only():
    s = [torch.randn(2, 3, 4, 4, requires_grad=True), torch.randn(2, 3, 2, 2, requires_grad=True)]
    t = [torch.randn(2, 3, 4, 4), torch.randn(2, 3, 2, 2)]
    FSPLoss()(s, t).backward()
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in s)
    assert all(x.grad is None for x in t)


def test_bf16_autocast_matches_fp32():
    g = torch.Generator().manual_seed(2)
    shapes = [(8, 8, 8), (8, 8, 8), (16, 4, 4)]
    s = [torch.randn(4, *sh, generator=g) for sh in shapes]
    t = [torch.randn(4, *sh, generator=g) for sh in shapes]
    loss = FSPLoss()
    ref = loss(s, t)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss([x.bfloat16() for x in s], [x.bfloat16() for x in t])
    assert out.dtype == torch.float32
    exact = loss([x.bfloat16().float() for x in s], [x.bfloat16().float() for x in t])
    torch.testing.assert_close(out, exact, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out, ref, rtol=5e-2, atol=1e-3)


def test_build_by_name():
    register_all_modules()
    loss = MODELS.build(dict(type='FSPLoss'))
    assert isinstance(loss, FSPLoss) and loss.loss_weight == 1.0
