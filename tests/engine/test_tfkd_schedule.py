"""The Tf-KD recipe's learning rates (Tf-KD train_kd.py; docs/tfkd.md G7): the schedulers of
configs/_base_/schedules/tfkd_200e.py, stepped as mmengine's ParamSchedulerHook steps them, against
a literal port of the reference's loop (utils.WarmUpLR stepped before every iteration of epoch 0,
MultiStepLR([60, 120, 160], 0.2) stepped at the start of every epoch > 0)."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch.optim.lr_scheduler import LRScheduler, MultiStepLR

from mmkd.registry import PARAM_SCHEDULERS
from tests.utils import ROOT

pytestmark = pytest.mark.filterwarnings("ignore:Detected call of")


class ReferenceWarmUpLR(LRScheduler):
    """Port of the reference's utils.WarmUpLR (pytorch-cifar100)."""

    def __init__(self, optimizer, total_iters, last_epoch=-1):
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.last_epoch / (self.total_iters + 1e-8) for base_lr in self.base_lrs]


def reference_lrs(base_lr, n, epochs):
    """lr used by every iteration: the reference's main.py/train_kd.py loop."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr, momentum=0.9)
    warmup = ReferenceWarmUpLR(opt, n * 1)  # -warm 1
    scheduler = MultiStepLR(opt, milestones=[60, 120, 160], gamma=0.2)
    lrs = []
    for epoch in range(epochs):
        if epoch > 0:
            scheduler.step()
        for _ in range(n):
            if epoch <= 0:
                warmup.step()
            lrs.append(opt.param_groups[0]['lr'])
            opt.step()
    return lrs


def mmkd_lrs(config, n, epochs):
    """lr used by every iteration with the config's schedulers, as the Runner builds and steps
    them (convert_to_iter_based with epoch_length n; iter-based after each iteration, epoch-based
    after each epoch)."""
    cfg = Config.fromfile(config)
    model = torch.nn.Linear(2, 2)
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s), default_args=dict(optimizer=optim_wrapper, epoch_length=n))
        for s in cfg.param_scheduler
    ]
    lrs = []
    for _ in range(epochs):
        for _ in range(n):
            lrs.append(optim_wrapper.optimizer.param_groups[0]['lr'])
            optim_wrapper.optimizer.step()
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        for s in schedulers:
            if s.by_epoch:
                s.step()
    return lrs


@pytest.mark.parametrize('n', [1, 2, 7, 391])
def test_first_epoch_warmup_is_the_reference(n):
    cfg = f'{ROOT}/configs/_base_/schedules/tfkd_200e.py'
    ours = mmkd_lrs(cfg, n, 2)
    ref = reference_lrs(0.1, n, 2)
    assert ours == pytest.approx(ref, rel=1e-6, abs=1e-12)
    # iteration t (0-based) of epoch 0 runs at lr*(t+1)/n; epoch 1 at the base lr
    assert ours[:n] == pytest.approx([0.1 * (t + 1) / n for t in range(n)], rel=1e-6)
    assert ours[n:] == pytest.approx([0.1] * n, rel=1e-9)


def test_whole_schedule_milestones():
    cfg = f'{ROOT}/configs/_base_/schedules/tfkd_200e.py'
    n = 3
    ours = mmkd_lrs(cfg, n, 200)
    ref = reference_lrs(0.1, n, 200)
    assert ours == pytest.approx(ref, rel=1e-6)
    per_epoch = ours[::n]
    for epoch, lr in [(1, 0.1), (59, 0.1), (60, 0.02), (119, 0.02), (120, 0.004), (160, 0.0008),
                      (199, 0.0008)]:
        assert per_epoch[epoch] == pytest.approx(lr, rel=1e-6), epoch


def test_batch_64_config_scales_lr():
    """lr = 0.1 * batch/128: a batch-64 config warms up to 0.05."""
    cfg = f'{ROOT}/configs/tfkd/googlenet_self.py'
    assert Config.fromfile(cfg).train_dataloader.batch_size == 64
    ours = mmkd_lrs(cfg, 4, 2)
    assert ours == pytest.approx(reference_lrs(0.05, 4, 2), rel=1e-6)


def test_linear_warmup_lr_explicit_iterations():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = PARAM_SCHEDULERS.build(
        dict(type='LinearWarmUpLR', by_epoch=False, begin=0, end=4),
        default_args=dict(optimizer=opt))
    seen = []
    for _ in range(6):
        seen.append(opt.param_groups[0]['lr'])
        sched.step()
    assert seen == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match='end > begin'):
        PARAM_SCHEDULERS.build(
            dict(type='LinearWarmUpLR', by_epoch=False, begin=2, end=2),
            default_args=dict(optimizer=opt))
