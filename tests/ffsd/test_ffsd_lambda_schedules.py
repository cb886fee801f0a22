"""FFSD's three λ warm-ups come from the per-term weight schedules (WEIGHT_SCHEDULES): the factor
sequence of the reference's ``lambda_warmup`` (SJLeo/FFSD CIFARTrainer.py), the λ's logged per
epoch in a Runner run (DistillationEpochHook sets the epoch), CE/KD un-warmed, bad configs."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmkd.models.distillers.weight_schedules import ExpRampUp
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from tests.utils import ROOT, shrink_config

CONFIG = osp.join(ROOT, 'configs', 'ffsd', 'resnet20.py')
LAMBDAS = dict(diversity=1e-5, fusion=10.0, self_distillation=1000.0)


def reference_warmup(lam, epoch, alpha=5):
    """SJLeo/FFSD ``lambda_warmup.warmup`` written out again (1-based epoch)."""
    if epoch <= alpha:
        return lam * math.exp(-5 * math.pow(1 - float(epoch) / alpha, 2))
    return lam


def build(**overrides):
    cfg = Config.fromfile(CONFIG)
    for key, value in overrides.items():  # replace, not merge into the base's entries
        cfg.model[key] = value
    return MODELS.build(cfg.model)


def test_factor_sequence_of_the_default_schedule():
    got = [ExpRampUp(epochs=5).factor(e) for e in range(1, 7)]
    assert [round(v, 3) for v in got] == [0.041, 0.165, 0.449, 0.819, 1.0, 1.0]
    # exactly the reference's numbers, not only to 3 digits
    assert got == [reference_warmup(1.0, e) for e in range(1, 7)]


def test_distiller_lambdas_follow_the_schedules_per_term():
    model = build()
    for epoch0 in range(7):
        model.set_epoch(epoch0)
        want = {k: reference_warmup(v, epoch0 + 1) for k, v in LAMBDAS.items()}
        assert model.current_lambdas() == want
    # one term without warm-up, another with its own schedule; the third keeps the default
    model = build(weight_schedules=dict(diversity=None, fusion=dict(type='LinearWarmup', epochs=4)))
    model.set_epoch(1)  # 1-based epoch 2
    assert model.current_lambdas() == dict(
        diversity=1e-5, fusion=10.0 * 2 / 4, self_distillation=reference_warmup(1000.0, 2))


def test_ce_and_kd_are_not_warmed_up():
    torch.manual_seed(0)
    model = build().train()
    x = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    model.set_epoch(0)
    torch.manual_seed(1)
    first = model.loss(x, samples)
    model.set_epoch(9)
    torch.manual_seed(1)
    later = model.loss(x, samples)
    factor = reference_warmup(1.0, 1)
    for key in ('student1.loss_ce', 'student1.loss_dml', 'fusion.loss_ce', 'fusion.loss_kd',
                'leader.loss_ce', 'leader.loss_kd'):
        assert torch.equal(first[key], later[key]), key
    for key in ('student2.loss_diversity', 'leader.loss_fused_att', 'decoder_leader.loss_att'):
        assert first[key].item() == pytest.approx(factor * later[key].item(), rel=1e-6), key


class _RecordLambdas(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.seen = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.seen.append((runner.epoch, {
            k: float(v)
            for k, v in outputs.items() if 'lambda_' in k
        }))


def test_logged_lambdas_per_epoch_in_a_runner_run(tiny_cifar_root, tmp_path):
    cfg = Config.fromfile(CONFIG)
    shrink_config(cfg, tiny_cifar_root, batch_size=2)
    cfg.train_dataloader.dataset.indices = 2  # one iteration per epoch
    cfg.train_cfg.max_epochs = 6
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.work_dir = str(tmp_path)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    record = _RecordLambdas()
    runner.register_hook(record)
    runner.train()
    assert [epoch for epoch, _ in record.seen] == list(range(6))
    for epoch0, logged in record.seen:
        e = epoch0 + 1
        want = {
            'student2.lambda_diversity': reference_warmup(1e-5, e),
            'leader.lambda_fusion': reference_warmup(10.0, e),
            'decoder_student2.lambda_self_distillation': reference_warmup(1000.0, e),
            'decoder_leader.lambda_self_distillation': reference_warmup(1000.0, e)
        }
        assert logged.keys() == want.keys()
        for key, value in want.items():  # logged as float32 tensors
            assert logged[key] == pytest.approx(value, rel=1e-6), (e, key)
    assert record.seen[0][1]['leader.lambda_fusion'] == pytest.approx(0.4076, abs=1e-4)


@pytest.mark.parametrize('schedules, message', [
    (dict(diversity=dict(type='NoSuchRamp', epochs=5)),
     r"weight_schedules.diversity: unknown type 'NoSuchRamp'; registered: .*ExpRampUp"),
    (dict(fusion=dict(type='ExpRampUp', epochs=0)),
     r'weight_schedules.fusion: ExpRampUp: epochs must be a positive integer, got 0'),
    (dict(fusion=dict(type='ExpRampUp', epoch=5)),
     r'weight_schedules.fusion: bad arguments for ExpRampUp .*epoch'),
    (dict(ce=dict(type='ExpRampUp', epochs=5)),
     r"weight_schedules has no term 'ce'; the warmed-up terms are diversity, fusion, "
     r'self_distillation'),
    (dict(fusion=5), r'weight_schedules.fusion must be None or a dict with a type'),
])
def test_bad_schedule_config_is_one_line(schedules, message):
    with pytest.raises(ConfigError, match=message) as err:
        build(weight_schedules=schedules)
    assert '\n' not in str(err.value)


def test_removed_warmup_epochs_says_what_to_use():
    with pytest.raises(
            ConfigError, match=r'replaced by per-term weight schedules: use '
            r'weight_schedules='):
        build(warmup_epochs=5)
