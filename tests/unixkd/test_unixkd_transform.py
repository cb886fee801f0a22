"""UNIXKD's batch transform (selection, mask, mixup, truncation, randomness) against numpy
re-computations of xuguodong03/UNIXKD ``student_v0.py`` for given scores / λ / permutations."""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmkd.models.distillers.unixkd_transform import (STRATEGIES, computation_fraction,
                                                     mask_prototype, mix_and_truncate,
                                                     resolve_strategy, sort_by_uncertainty,
                                                     uncertainty_scores)
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError


# ----------------------------------------------------------------------------- numpy reference
def np_softmax(z):
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_scores(logits, strategy):
    p = np_softmax(logits)
    if strategy == 'least_confidence':
        return 1 - p.max(axis=1)
    if strategy == 'margin':
        s = np.sort(p, axis=1)
        return -(s[:, -1] - s[:, -2])
    if strategy == 'entropy':
        return -(p * np.log(p)).sum(axis=1)
    raise ValueError(strategy)


def np_mask_proto(n, B, b, w):
    r = np.arange(n, dtype=np.float64)
    with np.errstate(over='ignore'):  # exp overflow = a mask of exactly 0
        return 1 / (1 + np.exp(-w * (r / B - (2 * b - 1) / (2 * B))))


def np_mix(x, rank, perm, mask, k):
    x = np.asarray(x, np.float64)
    m = np.asarray(mask, np.float64).reshape(-1, *([1] * (x.ndim - 1)))
    return ((1 - m) * x[rank] + m * x[perm])[:k]


# ----------------------------------------------------------------------------- mask
def test_mask_values_of_the_unix_setting():
    proto = mask_prototype(64, 64, 32, 10.0).double().numpy()
    np.testing.assert_allclose(proto, np_mask_proto(64, 64, 32, 10.0), rtol=1e-6)
    # the ramp is centred between positions b-1 and b: symmetric around 0.5 there
    assert proto[31] + proto[32] == pytest.approx(1.0, abs=1e-6)
    assert round(proto[0], 3) == 0.007 and round(proto[31], 2) == 0.48
    assert round(proto[32], 2) == 0.52 and round(proto[47], 2) == 0.92
    assert round(proto[63], 3) == 0.993 and round(proto[:48].mean(), 3) == 0.343
    assert np.all(np.diff(proto) > 0)


def test_mask_of_the_kd_baseline_is_practically_zero():
    proto = mask_prototype(64, 64, 64, 1000.0).double().numpy()
    np.testing.assert_allclose(proto, np_mask_proto(64, 64, 64, 1000.0), rtol=1e-5, atol=1e-30)
    assert f'{proto.max():.1e}' == '4.0e-04'  # at position 63; every other one is smaller


def test_short_last_batch_uses_the_nominal_batch_size():
    proto = mask_prototype(16, 64, 32, 10.0).double().numpy()
    np.testing.assert_allclose(proto, np_mask_proto(64, 64, 32, 10.0)[:16], rtol=1e-6)
    assert proto.max() < 0.1  # the 16 samples of the last CIFAR batch are barely mixed


# ----------------------------------------------------------------------------- scores
@pytest.mark.parametrize('strategy', ['least_confidence', 'margin', 'entropy'])
def test_scores_match_numpy(strategy):
    logits = torch.randn(12, 7, generator=torch.Generator().manual_seed(3)) * 3
    got = uncertainty_scores(logits, strategy).double().numpy()
    np.testing.assert_allclose(got, np_scores(logits.numpy(), strategy), rtol=1e-5, atol=1e-6)


def test_entropy_of_a_one_hot_prediction_is_zero_not_nan():
    logits = torch.tensor([[0., 200., 0.], [0., 0., 0.]])
    got = uncertainty_scores(logits, 'entropy')
    assert torch.isfinite(got).all() and got[0] == 0
    assert got[1] == pytest.approx(np.log(3), rel=1e-6)


def test_sort_is_descending_most_uncertain_first():
    scores = torch.tensor([0.2, 0.9, 0.1, 0.5, 0.9])
    assert sort_by_uncertainty(scores).tolist() == [1, 4, 3, 0, 2]  # ties keep batch order


def test_strategy_names_and_reference_numbers():
    assert [resolve_strategy(i) for i in range(4)] == list(STRATEGIES)
    assert resolve_strategy('margin') == 'margin'


# ----------------------------------------------------------------------------- mixing
def test_mix_and_truncate_match_numpy_for_given_rank_perm_lambda():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 3, 4, 4, generator=g)
    rank = torch.tensor([3, 0, 7, 1, 5, 2, 6, 4])
    perm = torch.tensor([5, 2, 2, 0, 7, 1, 4, 6])  # repeats are not a permutation: any partners
    lam = 0.6180339887
    mask = lam * mask_prototype(8, 8, 4, 10.0)
    got = mix_and_truncate(x, rank, perm, mask, k=6)
    want = np_mix(x.numpy(), rank.numpy(), perm.numpy(), lam * np_mask_proto(8, 8, 4, 10.0), 6)
    assert got.shape == (6, 3, 4, 4)
    np.testing.assert_allclose(got.double().numpy(), want, rtol=1e-5, atol=1e-6)
    # a self-paired position is the sample itself
    same = mix_and_truncate(x, torch.arange(8), torch.arange(8), mask, k=8)
    torch.testing.assert_close(same, x)


# ----------------------------------------------------------------------------- the transform
STUDENT = 'configs/_base_/models/resnet8.py'


def tiny_student(num_classes=10):
    from mmkd.models.distillers.builder_utils import build_classifier
    torch.manual_seed(0)
    return build_classifier(dict(cfg_path=STUDENT, head=dict(num_classes=num_classes)))


def batch(n=8, classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 8, 8, generator=g)
    labels = torch.randint(0, classes, (n, ), generator=g)
    samples = [DataSample(sample_idx=100 + i).set_gt_label(int(y)) for i, y in enumerate(labels)]
    fields = dict(labels=labels, sample_idx=torch.arange(100, 100 + n))
    return x, samples, fields


def make(**kwargs):
    cfg = dict(
        type='UNIXKDBatchTransform', batch_size=8, k=6, b=4, w=10.0, strategy='entropy', seed=1234)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def first_bn(model):
    return next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_forward_selects_mixes_and_truncates_like_the_reference():
    student = tiny_student()
    student.train()
    x, samples, fields = batch()
    transform = make()
    # the reference's numbers for this batch: entropy of the student's clean-batch predictions
    with torch.no_grad():
        logits = copy.deepcopy(student)(x, mode='tensor')
    rank_ref = np.argsort(-np_scores(logits.numpy(), 'entropy'), kind='stable')
    rank, perm, mask, lam = transform.select(logits, iteration=0)
    assert rank.tolist() == rank_ref.tolist()
    assert sorted(perm.tolist()) == list(range(8))  # a permutation of the whole batch
    assert 0 <= lam <= 1
    np.testing.assert_allclose(mask.double().numpy(), lam * np_mask_proto(8, 8, 4, 10.0), rtol=1e-6)

    out_x, out_samples, out_fields, log_vars = transform(x, samples, fields, student)
    want = np_mix(x.numpy(), rank.numpy(), perm.numpy(), mask.numpy(), 6)
    np.testing.assert_allclose(out_x.double().numpy(), want, rtol=1e-5, atol=1e-6)
    assert out_fields['labels'].tolist() == fields['labels'][rank[:6]].tolist()
    assert out_fields['mix_labels'].tolist() == fields['labels'][perm[:6]].tolist()
    assert out_fields['sample_idx'].tolist() == (100 + rank[:6]).tolist()
    torch.testing.assert_close(out_fields['mix_weights'], mask[:6])
    assert [s.sample_idx for s in out_samples] == (100 + rank[:6]).tolist()
    assert [int(s.gt_label) for s in out_samples] == out_fields['labels'].tolist()
    assert float(log_vars['unix_lambda']) == pytest.approx(lam)
    assert float(log_vars['unix_kept']) == 6 and float(log_vars['unix_teacher_saved']) == 2
    assert all('loss' not in name for name in log_vars)
    assert int(transform.iteration) == 1


def test_uncertainty_pass_updates_batchnorm_in_train_mode_only():
    x, samples, fields = batch()
    for mode, changes in (('train', True), ('eval', False)):
        student = tiny_student()
        student.train()
        before = first_bn(student).running_mean.clone()
        make(uncertainty_mode=mode)(x, samples, fields, student)
        after = first_bn(student).running_mean
        assert (not torch.equal(before, after)) == changes, mode
        assert student.training  # mode restored for the training pass


def test_eval_mode_pass_scores_with_running_statistics():
    student = tiny_student()
    x, samples, fields = batch()
    student.eval()
    with torch.no_grad():
        logits_eval = student(x, mode='tensor')
    student.train()
    transform = make(uncertainty_mode='eval')
    assert torch.equal(transform.uncertainty_logits(x, student), logits_eval)


def test_random_numbers_depend_on_seed_and_iteration_only():
    logits = torch.randn(8, 10)
    a, b = make(strategy='random'), make(strategy='random')
    torch.manual_seed(99)
    np.random.seed(99)
    ra = a.select(logits, 5)
    torch.manual_seed(7)  # the global RNG state is irrelevant
    np.random.seed(7)
    rb = b.select(logits, 5)
    for u, v in zip(ra[:3], rb[:3]):
        assert torch.equal(u, v)
    assert ra[3] == rb[3]
    other = a.select(logits, 6)
    assert other[3] != ra[3] and not torch.equal(other[1], ra[1])
    c = make(strategy='random', seed=4321).select(logits, 5)
    assert c[3] != ra[3]


def test_seed_and_iteration_travel_in_the_state_dict():
    transform = make(seed=None)
    assert int(transform.seed) == torch.initial_seed() % 2**63
    student = tiny_student()
    x, samples, fields = batch()
    for _ in range(3):
        transform(x, samples, fields, student)
    state = transform.state_dict()
    assert int(state['iteration']) == 3
    restored = make(seed=1)
    restored.load_state_dict(state)
    assert int(restored.seed) == int(transform.seed)
    assert restored.select(torch.randn(8, 10), 3)[3] == transform.select(torch.randn(8, 10), 3)[3]


def test_short_last_batch_keeps_everything():
    student = tiny_student()
    x, samples, fields = batch(n=3)
    out_x, out_samples, out_fields, log_vars = make()(x, samples, fields, student)
    assert out_x.shape[0] == 3 and len(out_samples) == 3
    assert float(log_vars['unix_teacher_saved']) == 0


def test_batch_larger_than_batch_size_is_an_error():
    with pytest.raises(ConfigError, match='batch_size=4; set model.batch_transform.batch_size'):
        make(batch_size=4, k=3, b=2)(*batch(n=8), tiny_student())


# ----------------------------------------------------------------------------- accounting
def test_computation_logged_per_iteration_and_per_epoch():
    student = tiny_student()
    transform = make(flops=dict(student=10.0, teacher=70.0))
    assert transform.teacher_flops_ratio == 7.0
    assert transform.nominal_computation() == pytest.approx(6 / 8 + 10 / 90)
    transform.set_epoch(0)
    x, samples, fields = batch()
    _, _, _, log_a = transform(x, samples, fields, student)
    assert float(log_a['unix_computation']) == pytest.approx(6 / 8 + 10 / 90)
    x3, s3, f3 = batch(n=3)
    _, _, _, log_b = transform(x3, s3, f3, student)
    assert float(log_b['unix_computation']) == pytest.approx(3 / 3 + 10 / 90)
    # epoch: 11 samples seen, 9 kept: (11·F_s + 9·(F_t + 2F_s)) / (11·(F_t + 2F_s))
    assert float(log_b['unix_epoch_computation']) == pytest.approx((110 + 9 * 90) / (11 * 90))
    assert float(log_b['unix_epoch_teacher_saved']) == 2
    summary = transform.epoch_summary()
    assert summary == dict(
        epoch=0,
        samples=11,
        teacher_forwards=9,
        teacher_forwards_saved=2,
        computation=pytest.approx((110 + 9 * 90) / (11 * 90)))
    transform.set_epoch(0)  # same epoch (e.g. after a mid-epoch resume): counts kept
    assert transform.epoch_summary()['samples'] == 11
    transform.set_epoch(1)
    assert transform.epoch_summary()['samples'] == 0


def test_computation_fraction_formula():
    # conventional KD: n·(F_t + 2F_s); UNIX: n·F_s + k·(F_t + 2F_s)
    assert computation_fraction(48, 64, 1.0, 38.17) == pytest.approx(0.75 + 1 / 40.17)
    assert computation_fraction(64, 64, 2.0, 6.0) == pytest.approx(1 + 2 / 10)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize('kwargs, message', [
    (dict(k=0), r'k=0 must be an int in \[1, batch_size=8\]'),
    (dict(k=9), r'k=9 must be an int in \[1, batch_size=8\]'),
    (dict(b=-1), r'b=-1 must be an int in \[0, batch_size=8\]'),
    (dict(b=9), r'b=9 must be an int in \[0, batch_size=8\]'),
    (dict(strategy='variance'), "Unknown UNIXKD strategy 'variance'; use one of random, "),
    (dict(strategy=4), 'Unknown UNIXKD strategy 4'),
    (dict(uncertainty_mode='test'), 'uncertainty_mode must be one of'),
    (dict(w=float('nan')), 'w=nan must be a finite number'),
    (dict(batch_size=0), 'batch_size must be a positive int'),
    (dict(flops=dict(student=0, teacher=1)), 'flops.student must be a positive number'),
])
def test_bad_arguments_give_one_message(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        make(**kwargs)


def test_rewrite_with_given_rank_perm_and_lambda():
    """The numbers a reference run prints (rank, perm, λ) reproduce its mixed batch."""
    x, samples, fields = batch()
    transform = make()
    rank = torch.tensor([5, 1, 0, 7, 2, 6, 3, 4])
    perm = torch.tensor([2, 2, 7, 0, 5, 1, 4, 3])  # any partner, repeats allowed
    lam = 0.3
    mask = transform.mixing_mask(8, lam)
    np.testing.assert_allclose(mask.double().numpy(), lam * np_mask_proto(8, 8, 4, 10.0), rtol=1e-6)
    mixed, out_samples, out_fields = transform.rewrite(x, samples, fields, rank, perm, mask)
    np.testing.assert_allclose(
        mixed.double().numpy(),
        np_mix(x.numpy(), rank.numpy(), perm.numpy(), mask.numpy(), 6),
        rtol=1e-5,
        atol=1e-6)
    assert out_fields['mix_labels'].tolist() == fields['labels'][perm[:6]].tolist()
    assert [s.sample_idx for s in out_samples] == (100 + rank[:6]).tolist()
