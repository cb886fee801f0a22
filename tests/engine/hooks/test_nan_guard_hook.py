"""NaNGuardHook: training stops at the first non-finite loss term, before any checkpoint of it."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from mmkd.engine.hooks.nan_guard_hook import NaNGuardHook, NonFiniteLossError
from mmkd.registry import HOOKS
from tests.engine.hooks.toy_runner import ToyModel, toy_runner


def test_stops_at_the_iteration_and_names_the_term_and_last_checkpoint(tmp_path):
    # 2 iterations per epoch: iteration 3 (epoch 2) gives a NaN loss_aux
    runner = toy_runner(
        tmp_path,
        model=ToyModel(nan_from_iter=3),
        max_epochs=3,
        custom_hooks=[dict(type='NaNGuardHook')])
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    assert 'iteration 3 (epoch 2)' in msg and 'loss_aux=nan' in msg
    assert osp.join(str(tmp_path), 'epoch_1.pth') in msg and '--resume' in msg
    # the checkpoint of the broken epoch was never written: --resume picks the last good one
    assert osp.isfile(tmp_path / 'epoch_1.pth') and not osp.exists(tmp_path / 'epoch_2.pth')


def test_before_any_checkpoint_and_infinite_values():
    hook = HOOKS.build(dict(type='NaNGuardHook', interval=1))
    assert isinstance(hook, NaNGuardHook)
    runner = SimpleNamespace(
        message_hub=MessageHub.get_instance('nan_guard_direct'), iter=6, epoch=0)
    with pytest.raises(
            NonFiniteLossError,
            match='iteration 7 .*loss_kd=inf, loss_ce=-inf.*'
            'no checkpoint had been written yet'):
        hook.after_train_iter(
            runner,
            0,
            outputs=dict(
                loss=torch.tensor(1.0), loss_kd=torch.tensor(float('inf')), loss_ce=float('-inf')))


def test_finite_losses_and_non_loss_values_pass(tmp_path):
    # an infinite value that is not a loss term (logged, not summed) does not stop training
    runner = toy_runner(
        tmp_path,
        model=ToyModel(inf_log_var=True),
        max_epochs=1,
        custom_hooks=[dict(type='NaNGuardHook')])
    runner.train()
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    hook = NaNGuardHook(interval=1)
    hook.after_train_iter(SimpleNamespace(), 0, outputs=None)  # nothing logged: nothing to check
    hook.after_train_iter(SimpleNamespace(), 0, outputs=dict(accuracy=float('nan')))
    hook.after_train_epoch(SimpleNamespace())
