"""tools/analysis_tools/benchmark.py: the hand loop computes mmkd's loss; the tool runs on every
config family (single-teacher KD, HSAKD, online HSSAKD/FFSD, UNIXKD, CRD)."""
import importlib.util
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmkd.engine.benchmark import hand_kd_loss, logit_kd_terms, process_cpu_seconds, summarize
from mmkd.registry import MODELS
from tests.utils import run_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL = [
    'model.teacher=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
    'model.student=configs/_base_/models/resnet8.py'
]
AUX = 'configs/_base_/models/hsakd/resnet20_aux.py'
LOADER0 = [
    'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False'
]


def _tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(config, student, teacher):
    cfg = Config.fromfile(config)
    cfg.model.teacher, cfg.model.student, cfg.model.teacher_ckpt = teacher, student, None
    torch.manual_seed(0)
    return MODELS.build(cfg.model).train()


@pytest.mark.parametrize('config',
                         ['configs/kd/resnet56_resnet20.py', 'configs/kd/resnet32x4_resnet8x4.py'])
def test_hand_loop_loss_equals_the_distillers_loss(config):
    small = 'configs/_base_/models/resnet8.py'
    model = _model(config, small, small)
    terms = logit_kd_terms(model)
    assert terms and all(t['tau'] == 4.0 and t['source'] == 'logits' for t in terms)
    x = torch.randn(6, 3, 32, 32)
    y = torch.randint(0, 100, (6, ))
    samples = [DataSample().set_gt_label(int(v)) for v in y]
    losses = model.loss(x, samples)
    mmkd_total = sum(v for k, v in losses.items() if 'loss' in k)
    hand = hand_kd_loss(model.student, model.teacher, x, y, model.student_loss_weight, terms)
    torch.testing.assert_close(hand, mmkd_total, rtol=1e-5, atol=1e-6)


def test_hsakd_hand_loop_loss_and_gradients_equal_the_distillers():
    """HSAKD: 4-rotation batch, teacher branches under no_grad, CE on rows 0::4, 3 branch KLs
    over 4N rows + the final KL (T = 3): the same value and the same student gradients."""
    model = _model('configs/hsakd/wrn40_2_wrn16_2.py', AUX, AUX)
    terms = logit_kd_terms(model)
    assert [t['source']
            for t in terms] == ['aux_logits:0', 'aux_logits:1', 'aux_logits:2', 'logits']
    assert all(t['tau'] == 3.0 and t['weight'] == 1.0 for t in terms)
    x = torch.randn(3, 3, 32, 32)
    y = torch.tensor([4, 0, 99])
    samples = [DataSample().set_gt_label(int(v)) for v in y]
    mmkd_total = sum(v for k, v in model.loss(x, samples).items() if 'loss' in k)
    mmkd_grads = torch.autograd.grad(mmkd_total, list(model.student.parameters()))
    hand = hand_kd_loss(
        model.student, model.teacher, x, y, model.student_loss_weight, terms, rotate=True)
    hand_grads = torch.autograd.grad(hand, list(model.student.parameters()))
    torch.testing.assert_close(hand, mmkd_total, rtol=1e-5, atol=1e-6)
    for a, b in zip(hand_grads, mmkd_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert all(not p.requires_grad or p.grad is None for p in model.teacher.parameters())


def test_non_kd_config_has_no_hand_loop():
    small = 'configs/_base_/models/resnet8.py'
    assert logit_kd_terms(_model('configs/fitnet/resnet56_resnet20.py', small, small)) is None
    assert logit_kd_terms(_model('configs/unixkd/resnet56_resnet20.py', small, small)) is None


def test_cpu_clock_reads_this_process_and_ratios():
    assert process_cpu_seconds([os.getpid()]) > 0
    assert process_cpu_seconds([2**22 + 12345]) == 0  # no such process: counts nothing
    rows = [[dict(total=0.2, data=0.0, hooks=0.0, step=0.2)]] * 3
    result = summarize(rows, [[0.1], [0.1], [0.4]], [], 'cpu', 8, [1.0, 2.0, 2.0], [1.0, 1.0, 1.0])
    assert result['hand_over_mmkd'] == pytest.approx(0.5)  # median 0.1 / 0.2
    assert result['cpu_hand_over_mmkd'] == pytest.approx(0.5)  # median 1 / median 2
    assert result['cpu_hand_over_mmkd_paired'] == pytest.approx(0.5)  # median(1, .5, .5)
    assert result['images_per_s'] == pytest.approx(40.0)


FAMILIES = {
    'kd': ('configs/kd/resnet56_resnet20.py', SMALL, True),
    'hsakd': ('configs/hsakd/wrn40_2_wrn16_2.py',
              [f'model.student={AUX}', f'model.teacher={AUX}', 'model.teacher_ckpt=None'], True),
    'hssakd_online': ('configs/hssakd/resnet56.py', [f'model.peer={AUX}'], False),
    'ffsd_online': ('configs/ffsd/resnet20.py', [], False),
    'unixkd': ('configs/unixkd/resnet56_resnet20.py', SMALL, False),
    'crd': ('configs/crd/resnet56_resnet20.py', SMALL, False),
}


@pytest.mark.parametrize('family', list(FAMILIES))
def test_tool_runs_every_family(family, tiny_cifar_root, capsys):
    config, opts, has_hand = FAMILIES[family]
    if family != 'hsakd':
        pytest.importorskip('torchvision')
    assert _tool().main([
        config, '--data-root', tiny_cifar_root, '--iters', '2', '--warmup', '1', '--rounds', '1',
        '--compare', '--cfg-options'
    ] + LOADER0 + opts) == 0
    out = capsys.readouterr().out
    assert 'mmkd: ' in out and 's/iter' in out and 'images/s' in out and 'CPU time' in out
    for part in ('data', 'hooks', 'backward', 'optimizer', 'losses+other', 'peak process RSS',
                 'forward:'):
        assert part in out, (part, out)
    assert ('hand/mmkd CPU' in out) == has_hand, out
    if not has_hand:
        assert 'Showing mmkd\'s own figures' in out


@pytest.mark.slow
def test_benchmark_tool_prints_figures_and_ratio():
    out = run_tool([
        'tools/analysis_tools/benchmark.py', 'configs/kd/resnet56_resnet20.py', '--fake-data',
        '--iters', '2', '--warmup', '1', '--rounds', '1', '--compare', '--cfg-options',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=1',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'
    ] + SMALL).stdout
    assert 'mmkd: ' in out and 's/iter' in out and 'images/s' in out
    for part in ('data', 'hooks', 'forward:teacher', 'forward:student', 'backward', 'optimizer',
                 'losses+other', 'peak process RSS', 'hand/mmkd', 'CPU time',
                 'num_workers: 1 (persistent)', 'load average', 'command: '):
        assert part in out, (part, out[-3000:])
