"""The contract every registered distillation loss keeps, checked over all of them at once.

* **builds by name** from ``mmkd.registry.MODELS`` with its documented defaults;
* **gradient reaches the student only**: the student inputs get a finite, non-zero gradient; the
  teacher inputs none (for losses that detach the teacher themselves, even when the teacher
  inputs require grad);
* **bf16 autocast matches fp32**: under ``torch.autocast('cpu', bfloat16)`` on bf16 inputs the loss
  is computed in float32: equal (to float32 rounding) to the fp32 loss of the bf16-rounded inputs,
  and close to the fp32 loss of the original inputs.

The formulas themselves are checked, loss by loss, in the ``test_<method>.py`` files next to this
one; the connectors' gradients (AB, CC, FitNet, VID, FT, CRD, SemCKD) in their own tests.
Every loss class registered from ``mmkd.models.losses`` must have a case here
(:func:`test_every_registered_loss_has_a_case`), so a new loss is held to the contract the day it
is added.
"""
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import pytest
import torch

from mmkd.registry import MODELS


def _randn(g, *shape):
    return torch.randn(*shape, generator=g)


@dataclass
class Case:
    """``inputs(g) -> (student_args, teacher_args, kwargs)``; each arg a tensor or list of them.

    ``forward(*student_args, *teacher_args, **kwargs)``. ``exact``/``ref``: (rtol, atol) of the bf16
    result against the fp32 loss of the bf16-rounded / original inputs (``exact=None``: not
    checked; ``atol=None``: relative only).
    """

    cfg: dict
    defaults: dict
    inputs: Callable
    grad_inputs: Optional[Callable] = None  # default: ``inputs``
    detaches_teacher: bool = False
    every_student_grad: bool = True
    exact: Optional[Tuple[float, Optional[float]]] = (1e-5, 1e-6)
    ref: Tuple[float, Optional[float]] = (5e-2, 1e-3)


def _maps(shapes_s, shapes_t, batch, seed):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        return ([[_randn(g, batch, *sh)
                  for sh in shapes_s]], [[_randn(g, batch, *sh) for sh in shapes_t]], {})

    return make


def _pair(shape_s, shape_t, seed):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        return [_randn(g, *shape_s)], [_randn(g, *shape_t)], {}

    return make


def _interleaved(seed, s_shapes, t_shapes):
    """Student maps drawn first, then teacher maps (one generator)."""

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        s = [_randn(g, *sh) for sh in s_shapes]
        t = [_randn(g, *sh) for sh in t_shapes]
        return [s], [t], {}

    return make


def _hkd_feats(seed):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        s = [_randn(g, 5, 4, 4, 4), _randn(g, 5, 8, 2, 2), _randn(g, 5, 16, 1, 1)]
        t = [_randn(g, 5, 6, 4, 4), _randn(g, 5, 12, 2, 2), _randn(g, 5, 24, 1, 1)]
        return [s], [t], {}

    return make


def _kdsvd_feats(seed):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        s = [_randn(g, 3, c, h, h) for c, h in zip((4, 6, 8), (4, 4, 2))]
        t = [_randn(g, 3, c, h, h) for c, h in zip((4, 6, 8), (4, 4, 2))]
        return [s], [t], {}

    return make


def _irg(seed_s, seed_t):

    def make(g=None):
        return ([torch.randn(6, 12, generator=torch.Generator().manual_seed(seed_s))],
                [torch.randn(6, 12, generator=torch.Generator().manual_seed(seed_t))], {})

    return make


def _logits_with_labels(n, k, seed, **kw):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        s, t = _randn(g, n, k), _randn(g, n, k)
        y = torch.randint(0, k, (n, ), generator=g)
        return [s], [t], dict(labels=y, **kw)

    return make


def _vid(seed):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        means, targets = [_randn(g, 4, 8, 4, 4)], [_randn(g, 4, 8, 4, 4)]
        return [means], [targets], dict(variances=[torch.rand(8, generator=g) + 1])

    return make


def _unix_mixup(seed):

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        s = _randn(g, 8, 10)
        return [s], [None], dict(
            labels=torch.randint(0, 10, (8, ), generator=g),
            mix_labels=torch.randint(0, 10, (8, ), generator=g),
            mix_weights=torch.rand(8, generator=g))

    return make


def _head_loss(seed, **kw):
    """mmpretrain head-loss signature ``(cls_score, label)``: only a student side."""

    def make(g=None):
        g = torch.Generator().manual_seed(seed)
        return [_randn(g, 8, 10) * 3], [], dict(
            label=torch.randint(0, 10, (8, ), generator=g), **kw)

    return make


# yapf: disable  (a table, one loss per entry; yapf takes seconds to lay it out)
CASES = {
    'KDLoss':
    Case(
        dict(type='KDLoss'),
        dict(source='logits', tau=4.0, loss_weight=1.0),
        _pair((8, 100), (8, 100), 1),
        grad_inputs=_pair((4, 10), (4, 10), 0)),
    'DKDLoss':
    Case(
        dict(type='DKDLoss', beta=6.0, warmup_epochs=None),
        dict(source='logits', alpha=1.0, beta=6.0, tau=4.0, loss_weight=1.0),
        _logits_with_labels(8, 100, 1)),
    'ATLoss':
    Case(
        dict(type='ATLoss'),
        dict(source='stages', p=2, loss_weight=1000.0),
        _interleaved(2, [(4, 8, 8, 8), (4, 16, 4, 4)], [(4, 8, 8, 8), (4, 32, 4, 4)]),
        grad_inputs=_pair((2, 4, 8, 8), (2, 6, 4, 4), 0)),
    'NSTLoss':
    Case(
        dict(type='NSTLoss'),
        dict(source='stages', loss_weight=50.0),
        _interleaved(1, [(4, 8, 8, 8), (4, 16, 4, 4)], [(4, 16, 8, 8), (4, 32, 4, 4)]),
        grad_inputs=_interleaved(0, [(2, 4, 4, 4)], [(2, 6, 4, 4)]),
        exact=(1e-4, 1e-6)),
    'FSPLoss':
    Case(
        dict(type='FSPLoss'),
        dict(loss_weight=1.0),
        _maps([(8, 8, 8), (8, 8, 8), (16, 4, 4)], [(8, 8, 8), (8, 8, 8), (16, 4, 4)], 4, 2),
        grad_inputs=_interleaved(0, [(2, 3, 4, 4), (2, 3, 2, 2)], [(2, 3, 4, 4), (2, 3, 2, 2)])),
    'ABLoss':
    Case(
        dict(type='ABLoss'), dict(loss_weight=1.0, margin=1.0),
        _interleaved(1, [(4, 8, 4, 4)] * 2, [(4, 8, 4, 4)] * 2)),
    'FTLoss':
    Case(
        dict(type='FTLoss'), dict(loss_weight=200.0, p1=2, p2=1),
        _pair((4, 8, 8, 8), (4, 8, 8, 8), 1)),
    'FTReconstructionLoss':
    Case(
        dict(type='FTReconstructionLoss'), dict(loss_weight=1.0),
        _pair((4, 8, 8, 8), (4, 8, 8, 8), 1)),
    'FitNetLoss':
    Case(
        dict(type='FitNetLoss'), dict(source=2, loss_weight=100.0),
        _pair((4, 8, 6, 6), (4, 8, 6, 6), 1)),
    'CCLoss':
    Case(dict(type='CCLoss'), dict(source='emb', loss_weight=0.02), _pair((8, 128), (8, 128), 1)),
    'PKTLoss':
    Case(
        dict(type='PKTLoss'),
        dict(source='emb', loss_weight=30000.0),
        _pair((8, 64), (8, 64), 1),
        grad_inputs=_pair((4, 8), (4, 8), 0),
        exact=(1e-4, 1e-6)),
    'RKDLoss':
    Case(
        dict(type='RKDLoss'),
        dict(source='emb', w_d=25.0, w_a=50.0, loss_weight=1.0),
        _pair((8, 32), (8, 64), 1),
        grad_inputs=_pair((4, 8), (4, 8), 0),
        detaches_teacher=True,
        exact=(1e-4, 1e-6)),
    'SPLoss':
    Case(
        dict(type='SPLoss'),
        dict(source='last_stage', loss_weight=3000.0),
        _pair((8, 16, 4, 4), (8, 32, 4, 4), 1),
        grad_inputs=_pair((4, 8, 4, 4), (4, 16, 2, 2), 0),
        exact=(1e-4, 1e-6)),
    'VIDLoss':
    Case(dict(type='VIDLoss'), dict(source='stages', loss_weight=1.0), _vid(2)),
    'HKDLoss':
    Case(
        dict(type='HKDLoss', fix_layer_decay=True),
        dict(source='stages', fix_layer_decay=True),
        _hkd_feats(3),
        grad_inputs=_hkd_feats(2),
        detaches_teacher=True,
        exact=None,
        ref=(5e-2, None)),
    'IRGLoss':
    Case(
        dict(type='IRGLoss'),
        dict(source='emb', loss_weight=0.005),
        _irg(1, 2),
        detaches_teacher=True,
        exact=None,
        ref=(5e-2, None)),
    'KDSVDLoss':
    Case(
        dict(type='KDSVDLoss', k=1),
        dict(source='stages'),
        _kdsvd_feats(3),
        grad_inputs=_kdsvd_feats(2),
        detaches_teacher=True,
        every_student_grad=False,
        exact=(1e-5, None),
        ref=(0.25, None)),
    'CRDLoss':
    Case(dict(type='CRDLoss', n_data=20), dict(source='emb', loss_weight=0.8),
         None),  # inputs: the connector's scores (tests/models/losses/test_crd.py)
    'SemCKDLoss':
    Case(dict(type='SemCKDLoss'), dict(source='stages', loss_weight=400),
         None),  # inputs: SelfA's outputs (tests/models/losses/test_semckd.py)
    'TfKDLoss':
    Case(
        dict(type='TfKDLoss', alpha=0.95, tau=20.0),
        dict(source='logits'),
        _logits_with_labels(4, 100, 0),
        exact=(1e-4, 1e-6)),
    'TfKDRegularizationLoss':
    Case(
        dict(type='TfKDRegularizationLoss', alpha=0.1, temperature=20.0, multiplier=100.0),
        dict(),
        _head_loss(0),
        exact=(1e-4, 1e-6)),
    'TfKDLabelSmoothingLoss':
    Case(
        dict(type='TfKDLabelSmoothingLoss'),
        dict(loss_weight=1.0),
        _head_loss(0),
        exact=(1e-4, 1e-6)),
    'UNIXMixupCELoss':
    Case(dict(type='UNIXMixupCELoss'), dict(loss_weight=1.0), _unix_mixup(0), exact=(1e-4, 1e-6)),
    'UNIXSampleWiseSPLoss':
    Case(
        dict(type='UNIXSampleWiseSPLoss'),
        dict(loss_weight=3000.0),
        _pair((8, 16, 4, 4), (8, 16, 4, 4), 1),
        exact=(1e-4, 1e-6)),
    'FFSDKDLoss':
    Case(
        dict(type='FFSDKDLoss'),
        dict(temperature=2.0, loss_weight=1.0),
        _pair((8, 10), (8, 10), 1),
        exact=(1e-4, 1e-6)),
    'FFSDMutualLoss':
    Case(
        dict(type='FFSDMutualLoss'),
        dict(temperature=2.0, loss_weight=1.0),
        lambda g=None: ([_randn(torch.Generator().manual_seed(1), 8, 10)],
                        [[_randn(torch.Generator().manual_seed(2), 8, 10)]], {}),
        exact=(1e-4, 1e-6)),
    'FFSDAttentionLoss':
    Case(
        dict(type='FFSDAttentionLoss'),
        dict(loss_weight=1.0),
        _interleaved(1, [(4, 8, 4, 4)] * 2, [(4, 8, 4, 4)] * 2),
        exact=(1e-4, 1e-6)),
    'FFSDDiversityLoss':
    Case(
        dict(type='FFSDDiversityLoss'),
        dict(loss_weight=1e-5),
        _pair((4, 8, 4, 4), (4, 8, 4, 4), 1),
        exact=(1e-4, 1e-6),
        ref=(5e-2, None)),
    'FFSDReconstructionLoss':
    Case(
        dict(type='FFSDReconstructionLoss'),
        dict(loss_weight=1000.0),
        _interleaved(1, [(4, 8, 4, 4)], [(4, 8, 4, 4)]),
        exact=(1e-4, 1e-6)),
}
# yapf: enable


def registered_losses():
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if cls.__module__.startswith('mmkd.models.losses'))


def test_every_registered_loss_has_a_case():
    missing = sorted(set(registered_losses()) - set(CASES))
    assert not missing, f'add a contract case for {missing} in {__file__}'
    assert len(registered_losses()) >= 20


def _tensors(args):
    for a in args:
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _tensors(a)


def _map(args, fn):
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            out.append(fn(a))
        elif isinstance(a, (list, tuple)):
            out.append(_map(a, fn))
        else:
            out.append(a)
    return out


def _call(loss, s, t, kw):
    out = loss(*s, *t, **kw)
    return sum(out) if isinstance(out, tuple) else out  # terms logged apart, summed for training


@pytest.mark.parametrize('name', sorted(CASES))
def test_builds_by_name_with_its_defaults(name):
    case = CASES[name]
    loss = MODELS.build(dict(case.cfg))
    assert type(loss).__name__ == name
    for attr, value in case.defaults.items():
        assert getattr(loss, attr) == value, attr


GRAD = sorted(n for n, c in CASES.items() if c.inputs is not None)


@pytest.mark.parametrize('name', GRAD)
def test_gradient_reaches_the_student_only(name):
    case = CASES[name]
    s, t, kw = (case.grad_inputs or case.inputs)()
    students = list(_tensors(s))
    teachers = list(_tensors(t))
    for x in students:
        x.requires_grad_(True)
    for x in teachers:
        x.requires_grad_(case.detaches_teacher)
    _call(MODELS.build(dict(case.cfg)), s, t, kw).backward()
    grads = [x.grad for x in students]
    assert all(g is None or torch.isfinite(g).all() for g in grads)
    reached = [g is not None and g.abs().sum() > 0 for g in grads]
    assert all(reached) if case.every_student_grad else any(reached)
    assert all(x.grad is None for x in teachers)


def _close(got, want, tol):
    rtol, atol = tol
    if atol is None:
        assert got.item() == pytest.approx(want.item(), rel=rtol)
    else:
        torch.testing.assert_close(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize('name', GRAD)
def test_bf16_autocast_matches_fp32(name):
    case = CASES[name]
    s, t, kw = case.inputs()
    loss = MODELS.build(dict(case.cfg))
    ref = _call(loss, s, t, kw)
    s16, t16 = _map(s, torch.Tensor.bfloat16), _map(t, torch.Tensor.bfloat16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = _call(loss, s16, t16, kw)
    assert out.dtype == torch.float32
    if case.exact is not None:
        rounded = _call(loss, _map(s16, torch.Tensor.float), _map(t16, torch.Tensor.float), kw)
        _close(out, rounded, case.exact)
    _close(out, ref, case.ref)
