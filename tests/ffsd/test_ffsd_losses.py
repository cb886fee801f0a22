"""FFSD's loss terms against the formulas of the paper/reference (SJLeo/FFSD CIFARTrainer.py),
computed here independently in float64 with explicit loops/sorts."""
import math

import pytest
import torch

from mmkd.models.losses.ffsd import (FFSDAttentionLoss, FFSDDiversityLoss, FFSDKDLoss,
                                     FFSDMutualLoss, FFSDReconstructionLoss, attention_map,
                                     diversity_loss, shifted_attention, shifted_feature)


def _unit(v):
    norm = max(math.sqrt(sum(x * x for x in v)), 1e-12)
    return [x / norm for x in v]


def ref_attention(feat):
    """A(F): per sample and position, the mean over channels of F² (a flat python list)."""
    B, C, H, W = feat.shape
    return [[
        sum(float(feat[b, c, h, w])**2 for c in range(C)) / C for h in range(H) for w in range(W)
    ] for b in range(B)]


def ref_nmse(xs, ys):
    total, count = 0.0, 0
    for x, y in zip(xs, ys):
        ux, uy = _unit(x), _unit(y)
        total += sum((a - b)**2 for a, b in zip(ux, uy))
        count += len(ux)
    return total / count


def ref_kd(s, t, T):
    B = s.shape[0]
    out = 0.0
    for b in range(B):
        ps = torch.softmax(s[b].double() / T, 0)
        pt = torch.softmax(t[b].double() / T, 0)
        out += float((pt * (pt.log() - ps.log())).sum())
    return T * T * out / B


def ref_shift(att_rows):
    """(s, a, n) of one batch of attention rows: k = floor(hw/3), tau = k-th smallest of a."""
    out = []
    for row in att_rows:
        n = math.sqrt(sum(v * v for v in row))
        a = _unit(row)
        tau = sorted(a)[len(a) // 3 - 1]
        s = [n - v if v > tau else (v if v < tau else n / 2) for v in a]
        out.append((s, a, n))
    return out


@pytest.fixture
def feats():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(3, 5, 8, 8, generator=g, dtype=torch.float64) for _ in range(2)]


def test_attention_map_is_channel_mean_of_squares(feats):
    got = attention_map(feats[0])
    assert got.shape == (3, 1, 8, 8)
    want = torch.tensor(ref_attention(feats[0]), dtype=torch.float64).reshape(3, 1, 8, 8)
    assert torch.allclose(got, want, atol=1e-12)


def test_attention_loss_sums_attmse_over_pairs_and_detaches_targets(feats):
    x = feats[0].clone().requires_grad_(True)
    y = feats[1].clone().requires_grad_(True)
    loss = FFSDAttentionLoss(loss_weight=10.0)([x, x[:, :2]], [y, y[:, 3:]])
    want = 10.0 * (
        ref_nmse(ref_attention(feats[0]), ref_attention(feats[1])) +
        ref_nmse(ref_attention(feats[0][:, :2]), ref_attention(feats[1][:, 3:])))
    assert loss.item() == pytest.approx(want, rel=1e-10)
    loss.backward()
    assert x.grad is not None and y.grad is None


def test_kd_and_mutual_learning(feats):
    g = torch.Generator().manual_seed(1)
    z = [torch.randn(4, 7, generator=g, dtype=torch.float64) for _ in range(3)]
    assert FFSDKDLoss(temperature=2)(z[0], z[1]).item() == pytest.approx(
        ref_kd(z[0], z[1], 2.0), rel=1e-10)
    # M = 3 students: the mean over the two peers, T = 2
    got = FFSDMutualLoss(temperature=2)(z[0], [z[1], z[2]]).item()
    assert got == pytest.approx((ref_kd(z[0], z[1], 2.) + ref_kd(z[0], z[2], 2.)) / 2, rel=1e-10)
    s = z[0].clone().requires_grad_(True)
    t = z[1].clone().requires_grad_(True)
    FFSDKDLoss()(s, t).backward()
    assert t.grad is None


def test_shifted_attention_target(feats):
    s, a, n = shifted_attention(feats[1])
    for b, (rs, ra, rn) in enumerate(ref_shift(ref_attention(feats[1]))):
        assert n[b, 0].item() == pytest.approx(rn, rel=1e-12)
        assert torch.allclose(a[b], torch.tensor(ra, dtype=torch.float64), atol=1e-12)
        assert torch.allclose(s[b], torch.tensor(rs, dtype=torch.float64), atol=1e-12)
    # the top ~2/3 are inverted around the raw norm, 21 of the 64 positions are kept (k = 21)
    kept = torch.isclose(s, a, rtol=0, atol=1e-12).sum(1)
    at_tau = torch.isclose(s, n.expand_as(s) / 2, rtol=0, atol=1e-12).sum(1)
    assert kept.tolist() == [20, 20, 20] and at_tau.tolist() == [1, 1, 1]


def test_diversity_loss_and_shifted_feature(feats):
    x = feats[0].clone().requires_grad_(True)
    prev = feats[1].clone().requires_grad_(True)
    loss = FFSDDiversityLoss(loss_weight=1e-5)(x, prev)
    shift = ref_shift(ref_attention(feats[1]))
    mine = [_unit(r) for r in ref_attention(feats[0])]
    want = sum((u - v)**2 for row, (s, _, _) in zip(mine, shift) for u, v in zip(row, s)) / (3 * 64)
    assert loss.item() == pytest.approx(1e-5 * want, rel=1e-10)
    assert diversity_loss(feats[0], feats[1]).item() == pytest.approx(want, rel=1e-10)
    loss.backward()
    assert prev.grad is None
    # F~ = F + (s - a) * n / C on every channel
    shifted = shifted_feature(feats[1])
    for b, (s, a, n) in enumerate(shift):
        offset = torch.tensor([(si - ai) * n / 5 for si, ai in zip(s, a)],
                              dtype=torch.float64).reshape(8, 8)
        assert torch.allclose(shifted[b] - feats[1][b], offset.expand(5, 8, 8), atol=1e-10)


def test_reconstruction_loss(feats):
    g = torch.Generator().manual_seed(2)
    dec = [
        torch.randn(3, 4, 16, 16, generator=g, dtype=torch.float64),
        torch.randn(3, 2, 32, 32, generator=g, dtype=torch.float64)
    ]
    tgt = [
        torch.randn(3, 4, 16, 16, generator=g, dtype=torch.float64),
        torch.randn(3, 2, 32, 32, generator=g, dtype=torch.float64)
    ]
    feat, att = FFSDReconstructionLoss(loss_weight=1000.0)(dec, tgt)
    flat = [[d[b].reshape(-1).tolist() for b in range(3)] for d in dec]
    flat_t = [[t[b].reshape(-1).tolist() for b in range(3)] for t in tgt]
    want_feat = sum(ref_nmse(x, y) for x, y in zip(flat, flat_t))
    want_att = sum(ref_nmse(ref_attention(d), ref_attention(t)) for d, t in zip(dec, tgt))
    assert feat.item() == pytest.approx(1000 * want_feat, rel=1e-10)
    assert att.item() == pytest.approx(1000 * want_att, rel=1e-10)
