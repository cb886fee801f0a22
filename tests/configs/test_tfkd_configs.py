"""The values in configs/tfkd against the reference's params.json tables and README figures (copied
here by hand, not from the generator), the recipe, and the internal consistency of every Tf-KD
config. (tests/configs/test_all_configs.py trains each of them one iteration.)"""
import glob
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests.utils import ROOT

TFKD = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', 'tfkd', '**', '*.py'), recursive=True))
ZOO = dict(
    mobilenetv2='mobilenetv2_tfkd',
    shufflenetv2='shufflenetv2_tfkd',
    resnet18='resnet18',
    resnet50='resnet50',
    googlenet='googlenet',
    densenet121='densenet121',
    resnext29='resnext29_8x64d')

# Tf-KD kd_experiments/*_self_teacher/params.json: student -> alpha, T, multiplier (None: missing in
# the reference), batch
SELF = dict(
    mobilenetv2=(0.95, 20, 1, 128),
    shufflenetv2=(0.95, 20, 1, 128),
    resnet18=(0.95, 6, 50, 128),
    resnet50=(0.95, 6, None, 128),
    googlenet=(0.4, 20, 50, 64),
    densenet121=(0.9, 20, 50, 100),
    resnext29=(0.9, 20, 100, 64))
# Tf-KD base_experiments/base_*/params.json: model -> reg_alpha, reg_temperature, multiplier (None:
# missing), batch
REG = dict(
    mobilenetv2=(0.95, 40, 1, 128),
    shufflenetv2=(0.95, 10, 1, 128),
    resnet18=(0.1, 20, 100, 128),
    googlenet=(0.1, 40, 50, 64),
    densenet121=(0.1, 40, None, 128),
    resnext29=(0.5, 40, None, 64))
BASE_BATCH = dict(
    mobilenetv2=128,
    shufflenetv2=128,
    resnet18=128,
    resnet50=64,
    googlenet=64,
    densenet121=128,
    resnext29=64)
# Tf-KD README De-KD figure: (teacher, student) -> kept epoch of the teacher, alpha, T
DEKD = {
    ('resnet18', 'mobilenetv2'): (1, 0.95),
    ('resnet18', 'shufflenetv2'): (1, 0.95),
    ('resnet50', 'mobilenetv2'): (51, 0.95),
    ('resnet50', 'shufflenetv2'): (51, 0.95),
    ('resnet50', 'resnet18'): (51, 0.6),
    ('resnext29', 'mobilenetv2'): (51, 0.95),
    ('resnext29', 'shufflenetv2'): (51, 0.95),
    ('resnext29', 'resnet18'): (51, 0.6)
}
# Tf-KD README Re-KD figure: the normal-KD and the reversed direction of each row
RE_KD_ROWS = [('resnet18', 'mobilenetv2'), ('resnet18', 'shufflenetv2'),
              ('resnet50', 'mobilenetv2'), ('resnet50', 'shufflenetv2'),
              ('densenet121', 'mobilenetv2'), ('densenet121', 'shufflenetv2'),
              ('resnext29', 'mobilenetv2'), ('resnext29', 'resnet18')]


def load(rel):
    return Config.fromfile(osp.join(ROOT, rel))


def model_path(spec):
    return spec if isinstance(spec, str) else spec['cfg_path']


def test_every_mode_has_its_configs():
    names = set(TFKD)
    for m in ZOO:
        for rel in (f'configs/tfkd/baselines/{m}_cifar100.py', f'configs/tfkd/{m}_reg.py',
                    f'configs/tfkd/{m}_lsr.py', f'configs/tfkd/{m}_self.py'):
            assert rel in names, rel
    for t, s in RE_KD_ROWS:
        assert f'configs/tfkd/kd/{t}_{s}.py' in names
        assert f'configs/tfkd/rekd/{s}_{t}.py' in names
    for (t, s), (epoch, _) in DEKD.items():
        assert f'configs/tfkd/dekd/{t}_{s}_epoch{1 if epoch == 1 else 50}.py' in names
    for d in ('cifar10', 'tiny_imagenet'):
        assert any(n.startswith(f'configs/tfkd/{d}/') for n in names), d


@pytest.mark.parametrize('rel', TFKD)
def test_recipe_and_consistency(rel):
    cfg = load(rel)
    assert cfg.train_cfg.max_epochs == 200
    sched = {s['type']: s for s in cfg.param_scheduler}
    assert sched['MultiStepLR']['milestones'] == [60, 120, 160]
    assert sched['MultiStepLR']['gamma'] == 0.2
    assert sched['LinearWarmUpLR'] == dict(
        type='LinearWarmUpLR', by_epoch=True, begin=0, end=1, convert_to_iter_based=True)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.momentum, opt.weight_decay, opt.nesterov) == ('SGD', 0.9, 5e-4, False)
    batch = cfg.train_dataloader.batch_size
    assert opt.lr == pytest.approx(0.1 * batch / 128, rel=1e-12)
    assert cfg.randomness.seed == 230
    types = [p['type'] for p in cfg.train_dataloader.dataset.pipeline]
    assert 'RandomRotation' in types
    num_classes = cfg.data_preprocessor.num_classes
    if cfg.model.type == 'SingleTeacherDistiller':
        kd = cfg.model.distill_losses.kd
        assert kd.type == 'TfKDLoss' and kd.reduction == 'elementwise_mean'
        assert cfg.model.student_loss_weight == pytest.approx(1 - kd.alpha, abs=1e-12)
        for role in ('student', 'teacher'):
            spec = cfg.model[role]
            if 'resnet50' in model_path(spec):
                assert spec['backbone']['init'] == 'tfkd', role
            if num_classes != 100:
                assert spec['head']['num_classes'] == num_classes
        assert osp.basename(cfg.model.teacher_ckpt) in ('best.pth', 'epoch_1.pth', 'epoch_51.pth')
    else:
        assert cfg.model.head.num_classes == num_classes
        if 'resnet50' in rel:
            assert cfg.model.backbone.init == 'tfkd'


@pytest.mark.parametrize('m', sorted(SELF))
def test_self_training_table(m):
    alpha, T, mult, batch = SELF[m]
    cfg = load(f'configs/tfkd/{m}_self.py')
    kd = cfg.model.distill_losses.kd
    assert (kd.alpha, kd.tau) == (alpha, T)
    assert kd.multiplier == (mult if mult is not None else 1.0)  # G4: missing -> 1
    assert cfg.train_dataloader.batch_size == batch
    assert model_path(cfg.model.student) == model_path(cfg.model.teacher) == \
        f'configs/_base_/models/{ZOO[m]}.py'
    assert cfg.model.teacher_ckpt == f'work_dirs/tfkd/baselines/{m}_cifar100/keep/best.pth'


@pytest.mark.parametrize('m', sorted(ZOO))
def test_reg_lsr_and_baseline_table(m):
    reg = load(f'configs/tfkd/{m}_reg.py')
    loss = reg.model.head.loss
    assert 'teacher' not in reg.model and loss.type == 'TfKDRegularizationLoss'
    assert (loss.correct_prob, loss.variant, loss.reduction) == (0.99, 'code', 'elementwise_mean')
    if m in REG:
        alpha, T, mult, batch = REG[m]
        assert (loss.alpha, loss.temperature) == (alpha, T)
        if mult is not None:
            assert loss.multiplier == mult
        assert reg.train_dataloader.batch_size == batch
    lsr = load(f'configs/tfkd/{m}_lsr.py')
    assert dict(lsr.model.head.loss) == dict(type='TfKDLabelSmoothingLoss', epsilon=0.1)
    assert lsr.train_dataloader.batch_size == BASE_BATCH[m]
    base = load(f'configs/tfkd/baselines/{m}_cifar100.py')
    assert base.model.head.loss.type == 'CrossEntropyLoss'
    assert base.train_dataloader.batch_size == BASE_BATCH[m]
    keep = [h for h in base.custom_hooks if h['type'] == 'KeepCheckpointsHook']
    assert keep and set(keep[0]['epochs']) >= {1, 50, 51} and keep[0]['best']


@pytest.mark.parametrize('pair', sorted(DEKD))
def test_dekd_teachers(pair):
    t, s = pair
    epoch, alpha = DEKD[pair]
    cfg = load(f'configs/tfkd/dekd/{t}_{s}_epoch{1 if epoch == 1 else 50}.py')
    assert cfg.model.teacher_ckpt == \
        f'work_dirs/tfkd/baselines/{t}_cifar100/keep/epoch_{epoch}.pth'
    assert model_path(cfg.model.teacher) == f'configs/_base_/models/{ZOO[t]}.py'
    assert model_path(cfg.model.student) == f'configs/_base_/models/{ZOO[s]}.py'
    kd = cfg.model.distill_losses.kd
    assert (kd.alpha, kd.tau, kd.multiplier) == (alpha, 20, 1.0)


def test_rekd_uses_alpha_06_and_kd_095():
    for t, s in RE_KD_ROWS:
        rekd = load(f'configs/tfkd/rekd/{s}_{t}.py').model.distill_losses.kd
        assert (rekd.alpha, rekd.tau) == (0.6, 20)
        kd = load(f'configs/tfkd/kd/{t}_{s}.py').model.distill_losses.kd
        assert (kd.alpha, kd.tau) == ((0.6, 20) if s == 'resnet18' else (0.95, 20))


def test_generator_reproduces_the_configs(tmp_path):
    out = str(tmp_path / 'tfkd')
    subprocess.run([sys.executable, 'tools/dev/generate_tfkd_configs.py', '--out', out],
                   cwd=ROOT,
                   check=True,
                   stdout=subprocess.DEVNULL)
    generated = sorted(
        osp.relpath(p, out) for p in glob.glob(osp.join(out, '**', '*.py'), recursive=True))
    assert generated == sorted(osp.relpath(p, 'configs/tfkd') for p in TFKD)
    for rel in generated:
        with open(osp.join(out, rel)) as a, open(osp.join(ROOT, 'configs/tfkd', rel)) as b:
            assert a.read() == b.read(), rel
