"""NaNGuardHook reads the losses back only every `interval` iterations and at epoch end."""
from types import SimpleNamespace

import pytest
import torch

from mmkd.engine.hooks import NaNGuardHook, NonFiniteLossError


class _Runner(SimpleNamespace):
    pass


def _runner():
    hub = SimpleNamespace(get_info=lambda key: 'work/epoch_3.pth')
    return _Runner(iter=0, epoch=3, message_hub=hub)


def _losses(kd):
    return dict(loss_cls=torch.tensor(1.5), loss_kd=torch.tensor(kd), accuracy=torch.tensor(0.))


def test_no_read_back_between_checks_and_first_bad_iteration_named(monkeypatch):
    hook, runner = NaNGuardHook(interval=4), _runner()
    hook.before_train_epoch(runner)
    reads = []
    original = torch.Tensor.tolist
    monkeypatch.setattr(torch.Tensor, 'tolist', lambda t: reads.append(1) or original(t))
    monkeypatch.setattr(torch.Tensor, 'item', lambda t: pytest.fail('per-iteration .item()'))
    values = [0.5, float('nan'), float('inf'), 0.25]
    for i, kd in enumerate(values[:3]):
        runner.iter = i
        hook.after_train_iter(runner, i, outputs=_losses(kd))
    assert reads == []  # iterations 1-3: nothing read back, nothing raised yet
    runner.iter = 3
    with pytest.raises(NonFiniteLossError) as err:
        hook.after_train_iter(runner, 3, outputs=_losses(values[3]))
    message = str(err.value)
    assert 'non-finite at iteration 2 (epoch 4): loss_kd=nan' in message  # the first bad one
    assert 'loss_cls' not in message and 'work/epoch_3.pth' in message


def test_epoch_end_checks_before_the_checkpoint_hook():
    hook, runner = NaNGuardHook(interval=1000), _runner()
    hook.before_train_epoch(runner)
    runner.iter = 7
    hook.after_train_iter(runner, 0, outputs=_losses(float('-inf')))
    with pytest.raises(NonFiniteLossError, match='iteration 8 .*loss_kd=-inf'):
        hook.after_train_epoch(runner)
    from mmengine.hooks import CheckpointHook
    from mmengine.runner.priority import get_priority
    assert get_priority(hook.priority) < get_priority(CheckpointHook.priority)


def test_finite_epochs_pass_and_stage_change_rechecks():
    hook, runner = NaNGuardHook(interval=100), _runner()
    for i in range(5):
        runner.iter = i
        hook.after_train_iter(runner, i, outputs=_losses(0.1 * i))
    hook.after_train_epoch(runner)
    # another set of terms (e.g. the init stage ending): the old record is checked first
    runner.iter = 5
    hook.after_train_iter(runner, 5, outputs=dict(loss_cls=torch.tensor(float('nan'))))
    runner.iter = 6
    with pytest.raises(NonFiniteLossError, match='iteration 6 .*loss_cls=nan'):
        hook.after_train_iter(runner, 6, outputs=_losses(1.0))
