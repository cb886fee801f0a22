"""StudentCheckpointHook: student_last.pth / student_best.pth next to the full checkpoints."""
import os.path as osp

import torch
import torch.nn as nn

from mmkd.utils.checkpoint import safe_load
from tests.engine.hooks.toy_runner import ToyModel, toy_runner


class ToyDistiller(ToyModel):
    """A 'student' (the product) next to another trained part."""

    def __init__(self):
        super().__init__()
        self.student = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = super().forward(inputs, data_samples, mode)
        if mode == 'loss':
            x = torch.stack(inputs) if isinstance(inputs, list) else inputs
            out['loss_student'] = (self.student(x) - 1).pow(2).mean()
        return out

    def student_state_dict(self):
        return self.student.state_dict()


def test_last_and_best_hold_the_student_of_the_right_checkpoint(tmp_path):
    # validation scores by epoch: best at epoch 2, not at epoch 3
    model = ToyDistiller()
    runner = toy_runner(
        tmp_path,
        model=model,
        max_epochs=3,
        val_scores=[1.0, 3.0, 2.0],
        save_best='toy/score',
        custom_hooks=[dict(type='StudentCheckpointHook')])
    runner.train()
    last = safe_load(str(tmp_path / 'student_last.pth'))
    assert set(last) == {'meta', 'state_dict'}
    assert set(last['state_dict']) == {'weight', 'bias'}  # the plain student, nothing else
    for k, v in model.student.state_dict().items():  # the final weights
        assert torch.equal(last['state_dict'][k], v)
    assert last['meta']['source_checkpoint'] == osp.join(str(tmp_path), 'epoch_3.pth')
    # the counters of the checkpoint it was taken from (epoch 1-based, as mmengine writes them)
    assert (last['meta']['epoch'], last['meta']['iter']) == (3, 6)
    epoch_3 = safe_load(str(tmp_path / 'epoch_3.pth'))['meta']
    assert (epoch_3['epoch'], epoch_3['iter']) == (3, 6)

    best = safe_load(str(tmp_path / 'student_best.pth'))
    source = best['meta']['source_checkpoint']
    assert osp.basename(source) == 'best_toy_score_epoch_2.pth'
    full_meta = safe_load(source)['meta']
    assert (best['meta']['epoch'], best['meta']['iter']) == \
        (full_meta['epoch'], full_meta['iter']) == (2, 4)
    full = safe_load(source)['state_dict']
    for k, v in best['state_dict'].items():  # the same weights as the full best checkpoint
        assert torch.equal(v, full[f'student.{k}'])
    assert not torch.equal(best['state_dict']['weight'], last['state_dict']['weight'])
    # only the atomically renamed files remain
    assert not [p for p in tmp_path.iterdir() if p.name.endswith('.tmp')]


def test_models_without_a_student_get_no_student_checkpoint(tmp_path):
    toy_runner(tmp_path, max_epochs=1, custom_hooks=[dict(type='StudentCheckpointHook')]).train()
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    assert not osp.exists(tmp_path / 'student_last.pth')


def test_iteration_based_training_writes_student_last(tmp_path):
    model = ToyDistiller()
    toy_runner(
        tmp_path,
        model=model,
        custom_hooks=[dict(type='StudentCheckpointHook')],
        train_cfg=dict(by_epoch=False, max_iters=3),
        checkpoint=dict(by_epoch=False, interval=3)).train()
    last = safe_load(str(tmp_path / 'student_last.pth'))
    assert last['meta']['source_checkpoint'] == osp.join(str(tmp_path), 'iter_3.pth')
    full = safe_load(str(tmp_path / 'iter_3.pth'))['meta']
    assert (last['meta']['epoch'], last['meta']['iter']) == (full['epoch'], full['iter'])
    assert last['meta']['iter'] == 3
