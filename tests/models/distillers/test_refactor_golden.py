"""The distiller-core refactor (issue 11) changes no loss value nor gradient.

The golden values were recorded from the code before the refactor (see ``refactor_golden.py``):
every classic method's base config (resnet14 -> resnet8), HSAKD's student distiller, both HSAKD
teacher modes, online HSSAKD and the KD/Tf-KD formulas, on name-seeded weights.

Tolerance: float32 values; the refactor keeps the same operations in the same order, so on the
machine that recorded them the results agree to the last bit. The golden file is checked on other
machines too (CI), whose CPU kernels (oneDNN's ISA-specific convolutions, BLAS thread splits) sum
in another order: whole-network losses and gradient norms then move by up to ~1e-6 relative, more
where a loss amplifies small differences. ``rel=1e-4`` stays 100x above that and far below what a
refactoring slip gives (a wrong weight, reduction or source: 1e-2 and more).
"""
import json

import pytest

from tests.models.distillers import refactor_golden as golden

with open(golden.GOLDEN) as f:
    EXPECTED = json.load(f)


def _check(actual: dict, expected: dict):
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-4, abs=1e-7), key


def test_kd_formulas_unchanged():
    _check(golden.function_values(), EXPECTED['functions'])


@pytest.mark.parametrize('method', golden.METHODS)
def test_method_losses_unchanged(method):
    actual = golden.method_losses(method)
    assert set(actual) == set(EXPECTED[method])
    for epoch, values in EXPECTED[method].items():
        _check(actual[epoch], values)


def test_hsakd_family_unchanged():
    actual = golden.hsakd_losses()
    for name in ('hsakd_distiller', 'hsakd_teacher_frozen', 'hsakd_teacher_joint', 'hssakd_online'):
        _check(actual[name], EXPECTED[name])
