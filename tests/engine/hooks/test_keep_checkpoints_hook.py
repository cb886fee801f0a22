"""KeepCheckpointsHook: checkpoints of chosen epochs (and the best one) that max_keep_ckpts never
deletes (the De-KD teachers of Tf-KD README.md Re-KD/De-KD)."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmkd.engine.hooks.keep_checkpoints_hook import KeepCheckpointsHook
from mmkd.registry import HOOKS
from mmkd.utils.checkpoint import safe_load


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs) if isinstance(inputs, list) else inputs)
        return dict(loss=(out**2).mean()) if mode == 'loss' else out


def toy_runner(work_dir, hook, max_epochs=4, interval=2):
    data = [dict(inputs=torch.tensor([float(i), 1.0])) for i in range(8)]
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=interval, max_keep_ckpts=1)),
        custom_hooks=[hook],
        default_scope='mmkd',
        experiment_name=f'keep_{osp.basename(str(work_dir))}')


def test_keeps_epochs_that_max_keep_ckpts_deletes(tmp_path):
    runner = toy_runner(tmp_path, dict(type='KeepCheckpointsHook', epochs=[1, 2]))
    runner.train()
    # CheckpointHook kept only its newest; epoch 1 (not an interval epoch: saved by the hook)
    # and epoch 2 (copied from CheckpointHook's file before it was deleted) are kept
    assert not osp.exists(tmp_path / 'epoch_2.pth') and osp.exists(tmp_path / 'epoch_4.pth')
    states = {}
    for n in (1, 2):
        ckpt = safe_load(str(tmp_path / 'keep' / f'epoch_{n}.pth'))
        assert ckpt['meta']['epoch'] == n
        assert 'optimizer' in ckpt
        states[n] = ckpt['state_dict']['linear.weight']
    last = safe_load(str(tmp_path / 'epoch_4.pth'))['state_dict']['linear.weight']
    assert not torch.equal(states[1], states[2]) and not torch.equal(states[2], last)
    assert not osp.exists(tmp_path / 'keep' / 'best.pth')  # best=False


def test_best_copy_follows_best_ckpt(tmp_path):
    hook = HOOKS.build(dict(type='KeepCheckpointsHook', best=True))
    assert isinstance(hook, KeepCheckpointsHook)
    hub = MessageHub.get_instance('keep_best_test')
    runner = SimpleNamespace(
        work_dir=str(tmp_path), message_hub=hub, logger=MMLogger.get_instance('keep_best_test'))
    for epoch in (1, 3):
        path = tmp_path / f'best_accuracy_top1_epoch_{epoch}.pth'
        torch.save(dict(meta=dict(epoch=epoch)), path)
        hub.update_info('best_ckpt', str(path))
        hook.after_val_epoch(runner)
        assert torch.load(tmp_path / 'keep' / 'best.pth')['meta']['epoch'] == epoch
    # unchanged best (e.g. after a resume): nothing rewritten
    (tmp_path / 'keep' / 'best.pth').write_bytes(b'sentinel')
    hook.after_val_epoch(runner)
    assert (tmp_path / 'keep' / 'best.pth').read_bytes() == b'sentinel'


def test_rejects_zero_based_epochs():
    with pytest.raises(ValueError, match='1-based'):
        KeepCheckpointsHook(epochs=[0, 1])
