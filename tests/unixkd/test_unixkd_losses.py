"""UNIXKD's loss terms (xuguodong03/UNIXKD ``student_v0.py`` lines 170-185, ``zoo.py``) against
numpy loops: KD (T = 4, batchmean × T²), the mixup CE, the AT add-on and the SP add-on."""
import numpy as np
import pytest
import torch

from mmkd.models.losses.at import ATLoss
from mmkd.models.losses.kd import KDLoss
from mmkd.models.losses.unixkd import UNIXMixupCELoss, UNIXSampleWiseSPLoss
from mmkd.utils.errors import ConfigError


def np_log_softmax(z):
    z = np.asarray(z, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_kd_term_is_batchmean_kl_times_t_squared():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    log_ps, log_pt = np_log_softmax(s.numpy() / 4), np_log_softmax(t.numpy() / 4)
    want = 16 * (np.exp(log_pt) * (log_pt - log_ps)).sum() / 5
    assert float(KDLoss(tau=4.0, loss_weight=1.0)(s, t)) == pytest.approx(want, rel=1e-5)


def test_mixup_ce_matches_numpy():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(6, 5, generator=g)
    y = torch.tensor([0, 4, 2, 2, 1, 3])
    y_mix = torch.tensor([1, 4, 0, 3, 3, 0])
    m = torch.tensor([0.01, 0.2, 0.5, 0.7, 0.9, 0.99])
    log_p = np_log_softmax(s.numpy())
    rows = np.arange(6)
    ce, ce_mix = -log_p[rows, y.numpy()], -log_p[rows, y_mix.numpy()]
    per_sample = (1 - m.numpy()) * ce + m.numpy() * ce_mix
    got = UNIXMixupCELoss(loss_weight=0.5)(s, None, labels=y, mix_labels=y_mix, mix_weights=m)
    assert float(got) == pytest.approx(0.5 * per_sample.mean(), rel=1e-5)
    # no mixing: plain CE on the primary labels
    plain = UNIXMixupCELoss()(s, None, labels=y, mix_labels=y_mix, mix_weights=torch.zeros(6))
    assert float(plain) == pytest.approx(-log_p[rows, y.numpy()].mean(), rel=1e-5)


def test_mixup_ce_without_the_transform_is_an_error():
    with pytest.raises(ConfigError, match='needs the batch fields labels, mix_labels and '):
        UNIXMixupCELoss()(torch.randn(2, 3), None, labels=torch.tensor([0, 1]))


def np_reference_similarity(f_s, f_t):
    """``zoo.py:Similarity()(f_s, f_t)`` with tensors: ``zip`` runs over the samples."""
    total = 0.0
    for a, b in zip(np.asarray(f_s, np.float64), np.asarray(f_t, np.float64)):
        bsz = a.shape[0]  # the channel count plays the batch
        a, b = a.reshape(bsz, -1), b.reshape(bsz, -1)
        g_s, g_t = a @ a.T, b @ b.T
        g_s = g_s / np.maximum(np.linalg.norm(g_s, axis=1, keepdims=True), 1e-12)
        g_t = g_t / np.maximum(np.linalg.norm(g_t, axis=1, keepdims=True), 1e-12)
        total += ((g_t - g_s)**2).sum() / (bsz * bsz)
    return total


def test_sp_add_on_reproduces_the_reference_sample_wise_similarity():
    g = torch.Generator().manual_seed(2)
    f_s = torch.randn(4, 6, 3, 3, generator=g)
    f_t = torch.randn(4, 6, 2, 2, generator=g)  # spatial sizes may differ, channels may not
    got = UNIXSampleWiseSPLoss(loss_weight=3000.0)(f_s, f_t)
    assert float(got) == pytest.approx(3000 * np_reference_similarity(f_s, f_t), rel=1e-5)


def test_sp_add_on_needs_equal_channel_counts():
    with pytest.raises(ConfigError, match='need the same channel count'):
        UNIXSampleWiseSPLoss()(torch.randn(2, 4, 2, 2), torch.randn(2, 8, 2, 2))


def np_attention(f):
    f = np.asarray(f, np.float64)
    a = (f**2).mean(axis=1).reshape(f.shape[0], -1)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def np_pool(f, size):
    n, c, h, _ = f.shape
    s = h // size
    return f.reshape(n, c, size, s, size, s).mean(axis=(3, 5))


def test_at_add_on_is_the_reference_attention_summed_over_stages():
    g = torch.Generator().manual_seed(3)
    s_feats = [torch.randn(3, 4, 8, 8, generator=g), torch.randn(3, 8, 4, 4, generator=g)]
    t_feats = [
        torch.randn(3, 16, 4, 4, generator=g),
        torch.randn(3, 32, 4, 4, generator=g),
        torch.randn(3, 64, 2, 2, generator=g)
    ]  # zip: min(S, T) pairs
    want = 0.0
    for s, t in zip(s_feats, t_feats):
        s, t = s.numpy(), t.numpy()
        if s.shape[2] > t.shape[2]:
            s = np_pool(s, t.shape[2])
        want += ((np_attention(s) - np_attention(t))**2).mean()
    got = ATLoss(loss_weight=1000.0)(s_feats, t_feats)
    assert float(got) == pytest.approx(1000 * want, rel=1e-5)
