"""A real mmengine Runner around a two-parameter model, for in-process hook tests (fast)."""
import os.path as osp
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmkd.registry import METRICS
from mmkd.utils.checkpoint import install_safe_loader


class ToyModel(BaseModel):
    """``loss = mean(linear(x)^2)``; ``set_epoch`` calls are recorded.

    Args:
        nan_from_iter: ``loss_aux`` becomes NaN from this ``loss`` call on (1-based).
        inf_log_var: also return ``grad_scale_like``, an infinite value that is not a loss.
    """

    def __init__(self, nan_from_iter: Optional[int] = None, inf_log_var: bool = False):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.epochs_seen: List[int] = []
        self.nan_from_iter = nan_from_iter
        self.inf_log_var = inf_log_var
        self.loss_calls = 0

    def set_epoch(self, epoch: int) -> None:
        self.epochs_seen.append(epoch)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.linear(x)
        if mode == 'loss':
            self.loss_calls += 1
            losses = dict(loss=(out**2).mean(), loss_aux=out.mean() * 0)
            if self.nan_from_iter is not None and self.loss_calls >= self.nan_from_iter:
                losses['loss_aux'] = losses['loss_aux'] * float('nan')
            if self.inf_log_var:
                losses['grad_scale_like'] = torch.tensor(float('inf'))
            return losses
        if mode == 'predict':
            return [dict(score=v) for v in out.detach().reshape(-1)]
        return out


@METRICS.register_module()
class ScriptedMetric(BaseMetric):
    """Reports the next value of ``values`` as ``toy/score`` at every evaluation."""

    default_prefix = 'toy'

    def __init__(self, values: Sequence[float] = (1.0, ), **kwargs):
        super().__init__(**kwargs)
        self.values = list(values)
        self.calls = 0

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return dict(score=value)


def toy_data(n: int = 8):
    return [
        dict(inputs=torch.tensor([float(i), 1.0]), data_samples=torch.tensor(i)) for i in range(n)
    ]


def loader(n: int = 8, batch_size: int = 4):
    return dict(
        dataset=toy_data(n),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=batch_size,
        collate_fn=dict(type='default_collate'))


def toy_runner(work_dir,
               model=None,
               custom_hooks=(),
               max_epochs: int = 2,
               interval: int = 1,
               val_scores: Optional[Sequence[float]] = None,
               save_best: Optional[str] = None,
               max_keep_ckpts: int = -1,
               train_cfg: Optional[dict] = None,
               checkpoint: Optional[dict] = None,
               **kwargs) -> Runner:
    """A Runner training ``model`` (default :class:`ToyModel`) on 8 samples, 2 iterations/epoch.

    With ``val_scores`` it validates after every epoch with :class:`ScriptedMetric`;
    ``train_cfg``/``checkpoint`` update the train loop and ``CheckpointHook`` configs.
    """
    install_safe_loader()  # as tools/train.py does: checkpoints load with weights_only=True
    val = {}
    if val_scores is not None:
        val = dict(
            val_dataloader=loader(4),
            val_cfg=dict(),
            val_evaluator=dict(type='ScriptedMetric', values=list(val_scores)))
    ckpt_overrides = checkpoint
    checkpoint = dict(type='CheckpointHook', interval=interval, max_keep_ckpts=max_keep_ckpts)
    if save_best:
        checkpoint.update(save_best=save_best, rule='greater')
    checkpoint.update(ckpt_overrides or {})
    return Runner(
        model=model if model is not None else ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=loader(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=train_cfg or dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        default_hooks=dict(checkpoint=checkpoint, logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(custom_hooks),
        default_scope='mmkd',
        experiment_name=f'toy_{osp.basename(str(work_dir))}_{id(work_dir)}',
        **val,
        **kwargs)
