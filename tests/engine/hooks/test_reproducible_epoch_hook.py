"""ReproducibleEpochHook: each epoch's random numbers depend only on (seed, epoch, rank)."""
import random
from types import SimpleNamespace

import numpy as np
import torch

from mmkd.datasets.reproducible import sample_seed
from mmkd.engine.hooks.reproducible_epoch_hook import ReproducibleEpochHook
from mmkd.registry import HOOKS
from tests.engine.hooks.toy_runner import toy_runner


def draws():
    return random.random(), float(np.random.rand()), torch.rand(3)


def draws_after_hook(seed, epoch, rank, noise):
    random.random(), np.random.rand(noise), torch.rand(noise)  # whatever was drawn before
    HOOKS.build(dict(type='ReproducibleEpochHook')).before_train_epoch(
        SimpleNamespace(seed=seed, epoch=epoch, rank=rank))
    return draws()


def same(a, b):
    return a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


def test_seed_is_mixed_from_seed_epoch_and_rank():
    got = draws_after_hook(7, 3, 0, noise=5)
    s = sample_seed(7, 3, 1_000_003)
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)
    assert same(got, draws())


def test_independent_of_earlier_draws_and_distinct_per_epoch_and_rank():
    ref = draws_after_hook(7, 3, 0, noise=1)
    assert same(ref, draws_after_hook(7, 3, 0, noise=17))
    assert not same(ref, draws_after_hook(7, 4, 0, noise=1))
    assert not same(ref, draws_after_hook(7, 3, 1, noise=1))
    assert not same(ref, draws_after_hook(8, 3, 0, noise=1))
    assert same(draws_after_hook(0, 2, 0, noise=1), draws_after_hook(None, 2, 0, noise=3))


class EpochDraws(ReproducibleEpochHook):
    """Records the first torch draw of each epoch (after the re-seed)."""

    def __init__(self):
        self.first = {}

    def before_train_epoch(self, runner):
        super().before_train_epoch(runner)
        state = torch.get_rng_state()
        self.first[runner.epoch] = torch.rand(4)
        torch.set_rng_state(state)


def test_in_a_runner_a_resumed_epoch_draws_the_same_numbers(tmp_path):
    full = EpochDraws()
    toy_runner(
        tmp_path / 'full', max_epochs=3, custom_hooks=[full], randomness=dict(seed=5)).train()
    resumed = EpochDraws()
    toy_runner(
        tmp_path / 'full',
        max_epochs=3,
        custom_hooks=[resumed],
        randomness=dict(seed=5),
        load_from=str(tmp_path / 'full' / 'epoch_2.pth'),
        resume=True).train()
    assert sorted(full.first) == [0, 1, 2] and sorted(resumed.first) == [2]
    assert torch.equal(full.first[2], resumed.first[2])
    assert not torch.equal(full.first[1], full.first[2])
