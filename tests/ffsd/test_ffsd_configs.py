"""Every FFSD CIFAR config builds with mmengine's Runner.from_cfg and trains one iteration (all
parts step once) on generated CIFAR-100, validation included (the ImageNet ones:
test_ffsd_imagenet.py)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.utils import ROOT, shrink_config

CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', 'ffsd', '**', '*.py'), recursive=True)
    if 'imagenet' not in osp.relpath(p, ROOT))
IMAGENET = ('resnet18', 'resnet34')
QUICK = {'configs/ffsd/resnet20.py', 'configs/ffsd/eval/resnet20_leader.py'}


def test_every_architecture_has_a_config_and_a_leader_config():
    archs = {osp.basename(p)[:-3] for p in CONFIGS if '/eval/' not in p}
    leaders = {osp.basename(p)[:-len('_leader.py')] for p in CONFIGS if '/eval/' in p}
    assert archs == leaders and {'resnet20', 'resnet32', 'resnet56'} <= archs
    for arch in archs:
        assert osp.isfile(osp.join(ROOT, 'configs/_base_/models/ffsd', f'{arch}.py'))
        assert osp.isfile(osp.join(ROOT, 'configs/_base_/models/ffsd', f'{arch}_leader.py'))
        header = open(osp.join(ROOT, 'configs/ffsd', f'{arch}.py')).read()
        assert 'Published student-leader top-1' in header and 'best test-set epoch' in header
    for arch in IMAGENET:  # configs/ffsd/imagenet/<arch>.py and its eval config
        for path in (f'configs/ffsd/imagenet/{arch}.py',
                     f'configs/ffsd/eval/imagenet_{arch}_leader.py',
                     f'configs/_base_/models/ffsd/imagenet_{arch}.py',
                     f'configs/_base_/models/ffsd/imagenet_{arch}_leader.py'):
            assert osp.isfile(osp.join(ROOT, path)), path


@pytest.mark.parametrize(
    'config', [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow) for c in CONFIGS])
def test_config_trains_one_iteration_with_the_runner(config, tiny_cifar_root, tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, config))
    shrink_config(cfg, tiny_cifar_root, batch_size=2)
    cfg.train_dataloader.dataset.indices = 2
    cfg.val_dataloader.dataset.indices = 2
    cfg.test_dataloader.dataset.indices = 2
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp_path)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    assert runner.iter == 1
    after = runner.model.state_dict()
    names = getattr(runner.model, 'part_names', [''])
    for name in names:  # every part's weights moved
        keys = [k for k in after if k.startswith(name) and after[k].is_floating_point()]
        assert any(not torch.equal(after[k], before[k]) for k in keys), name
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
