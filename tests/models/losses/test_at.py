"""ATLoss: RepDistiller/SemCKD distiller_zoo/AT.py, checked against a hand-computed value and a
numpy loop re-implementation."""
import math

import numpy as np
import pytest
import torch

from mmkd.models.losses.at import ATLoss, at_loss
from tests.np_reference import np_adaptive_pool


def np_attention(f, p):
    """(C, H, W) -> unit-norm vector of length H*W of the channel mean of f^p."""
    C, H, W = f.shape
    a = []
    for h in range(H):
        for w in range(W):
            a.append(sum(f[c, h, w]**p for c in range(C)) / C)
    norm = math.sqrt(sum(v * v for v in a))
    return [v / max(norm, 1e-12) for v in a]


def np_at(s_feats, t_feats, p=2):
    total = 0.0
    for s, t in zip(s_feats, t_feats):
        s, t = np.asarray(s, np.float64), np.asarray(t, np.float64)
        B = s.shape[0]
        sq = []
        for b in range(B):
            fs, ft = s[b], t[b]
            if fs.shape[1] > ft.shape[1]:
                fs = np_adaptive_pool(fs, ft.shape[1])
            elif fs.shape[1] < ft.shape[1]:
                ft = np_adaptive_pool(ft, fs.shape[1])
            a_s, a_t = np_attention(fs, p), np_attention(ft, p)
            sq += [(x - y)**2 for x, y in zip(a_s, a_t)]
        total += sum(sq) / len(sq)
    return total


def test_hand_computed_batch_of_one():
    # one sample, one channel, 2x2 maps:
    #   s = [[1, 0], [0, 0]] -> s^2 flattened [1, 0, 0, 0]  -> a_s = [1, 0, 0, 0]
    #   t = [[1, -1], [0, 0]] -> t^2 flattened [1, 1, 0, 0] -> a_t = [1/sqrt2, 1/sqrt2, 0, 0]
    #   mean of squared differences = ((1 - 1/sqrt2)^2 + 1/2) / 4
    s = torch.tensor([[[[1., 0.], [0., 0.]]]])
    t = torch.tensor([[[[1., -1.], [0., 0.]]]])
    expected = ((1 - 1 / math.sqrt(2))**2 + 0.5) / 4
    assert at_loss([s], [t]).item() == pytest.approx(expected, rel=1e-6)
    assert at_loss(s, t).item() == pytest.approx(expected, rel=1e-6)
    assert ATLoss()([s], [t]).item() == pytest.approx(1000 * expected, rel=1e-6)


def test_numpy_reference_with_mismatched_sizes():
    g = torch.Generator().manual_seed(0)
    s = [
        torch.randn(2, 3, 8, 8, generator=g),
        torch.randn(2, 4, 4, 4, generator=g),
        torch.randn(2, 5, 6, 6, generator=g)
    ]
    t = [
        torch.randn(2, 6, 4, 4, generator=g),
        torch.randn(2, 2, 8, 8, generator=g),
        torch.randn(2, 3, 4, 4, generator=g)
    ]  # 8->4 (student pooled), 4<-8, 6->4 (uneven bins)
    assert at_loss(s, t).item() == pytest.approx(np_at(s, t), rel=1e-5)
    assert at_loss(s, t, p=4).item() == pytest.approx(np_at(s, t, p=4), rel=1e-5)


def test_unequal_number_of_maps_uses_first_pairs():
    g = torch.Generator().manual_seed(1)
    s = [torch.randn(2, 3, 4, 4, generator=g) for _ in range(4)]
    t = [torch.randn(2, 3, 4, 4, generator=g) for _ in range(3)]
    assert at_loss(s, t).item() == pytest.approx(np_at(s[:3], t), rel=1e-5)


def test_fp16_inputs_are_computed_in_fp32():
    g = torch.Generator().manual_seed(3)
    s, t = [torch.randn(2, 4, 4, 4, generator=g)], [torch.randn(2, 4, 4, 4, generator=g)]
    out = ATLoss()([s[0].half()], [t[0].half()])
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ATLoss()([s[0].half().float()], [t[0].half().float()]))


def test_empty_feature_lists_raise():
    with pytest.raises(ValueError, match='source'):
        at_loss([], [])
