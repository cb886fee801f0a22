"""CheckpointCompatibilityHook: a checkpoint that does not fit the model stops before loading."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmkd.engine.hooks.checkpoint_compatibility_hook import CheckpointCompatibilityHook
from mmkd.utils.errors import CheckpointError
from tests.engine.hooks.toy_runner import ToyModel, toy_runner


class Distiller(nn.Module):

    def __init__(self):
        super().__init__()
        self.student = nn.Linear(2, 1)
        self.teacher = nn.Linear(2, 1)


def check(model, state, **kw):
    hook = CheckpointCompatibilityHook(**kw)
    hook.after_load_checkpoint(SimpleNamespace(model=model), dict(state_dict=state))


def test_fitting_checkpoints_pass_with_or_without_module_prefix():
    model = ToyModel()
    check(model, model.state_dict())
    check(model, {f'module.{k}': v for k, v in model.state_dict().items()})


def test_missing_unexpected_and_mismatched_keys_are_named():
    model = ToyModel()
    state = dict(model.state_dict())
    state['linear.weight'] = torch.zeros(3, 2)
    del state['linear.bias']
    state['extra.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointError) as err:
        check(model, state)
    msg = str(err.value)
    assert 'Missing keys (1): linear.bias.' in msg
    assert 'Unexpected keys (1): extra.weight.' in msg
    assert 'Shape mismatches (1): linear.weight (3, 2) vs (1, 2).' in msg
    assert 'allow_partial=True' in msg
    check(model, state, allow_partial=True)  # deliberate partial initialisation


def test_full_distillation_checkpoint_into_a_plain_model_and_the_reverse():
    plain = ToyModel()
    full = {f'student.{k}': v for k, v in plain.state_dict().items()}
    full.update({f'teacher.{k}': v for k, v in plain.state_dict().items()})
    with pytest.raises(CheckpointError, match='full distillation checkpoint.*student_best.pth'):
        check(plain, full)
    with pytest.raises(CheckpointError, match='plain classifier checkpoint'):
        check(Distiller(), {'weight': torch.zeros(1, 2), 'bias': torch.zeros(1)})


def test_resume_of_another_model_stops_before_training(tmp_path):
    toy_runner(tmp_path / 'other', max_epochs=1).train()
    state = torch.load(tmp_path / 'other' / 'epoch_1.pth', weights_only=False)
    state['state_dict'] = {'other.weight': torch.zeros(1)}
    torch.save(state, tmp_path / 'foreign.pth')
    runner = toy_runner(
        tmp_path / 'run',
        max_epochs=2,
        load_from=str(tmp_path / 'foreign.pth'),
        resume=True,
        custom_hooks=[dict(type='CheckpointCompatibilityHook')])
    with pytest.raises(CheckpointError, match='Missing keys .*linear.weight'):
        runner.train()
    assert not (tmp_path / 'run' / 'epoch_1.pth').exists()
