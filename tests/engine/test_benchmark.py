"""tools/analysis_tools/benchmark.py: the hand loop computes mmkd's loss; the tool runs."""
import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmkd.engine.benchmark import hand_kd_loss, logit_kd_terms
from mmkd.registry import MODELS
from tests.utils import run_tool

SMALL = ['model.teacher=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
         'model.student=configs/_base_/models/resnet8.py']


@pytest.mark.parametrize('config', ['configs/kd/resnet56_resnet20.py',
                                    'configs/kd/resnet32x4_resnet8x4.py'])
def test_hand_loop_loss_equals_the_distillers_loss(config):
    cfg = Config.fromfile(config)
    cfg.model.teacher = 'configs/_base_/models/resnet8.py'
    cfg.model.student = 'configs/_base_/models/resnet8.py'
    cfg.model.teacher_ckpt = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    terms = logit_kd_terms(model)
    assert terms and all(t['tau'] == 4.0 for t in terms)
    x = torch.randn(6, 3, 32, 32)
    y = torch.randint(0, 100, (6, ))
    samples = [DataSample().set_gt_label(int(v)) for v in y]
    losses = model.loss(x, samples)
    mmkd_total = sum(v for k, v in losses.items() if 'loss' in k)
    hand = hand_kd_loss(model.student, model.teacher, x, y, model.student_loss_weight, terms)
    torch.testing.assert_close(hand, mmkd_total, rtol=1e-5, atol=1e-6)


def test_non_kd_config_has_no_hand_loop():
    cfg = Config.fromfile('configs/fitnet/resnet56_resnet20.py')
    cfg.model.teacher = 'configs/_base_/models/resnet8.py'
    cfg.model.student = 'configs/_base_/models/resnet8.py'
    cfg.model.teacher_ckpt = None
    assert logit_kd_terms(MODELS.build(cfg.model)) is None


@pytest.mark.slow
def test_benchmark_tool_prints_figures_and_ratio():
    out = run_tool(['tools/analysis_tools/benchmark.py', 'configs/kd/resnet56_resnet20.py',
                    '--fake-data', '--iters', '2', '--warmup', '1', '--rounds', '1', '--compare',
                    '--cfg-options', 'train_dataloader.batch_size=8',
                    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']
                   + SMALL).stdout
    assert 'mmkd: ' in out and 's/iter' in out and 'images/s' in out
    for part in ('data', 'hooks', 'forward:teacher', 'forward:student', 'backward',
                 'optimizer', 'losses+other', 'peak process RSS', 'hand/mmkd'):
        assert part in out, (part, out[-3000:])
