"""Resume is exact: N epochs straight == N/2 epochs, stop, --resume to N (bit-identical on CPU)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler
from mmengine.runner import Runner

from mmkd.utils.checkpoint import safe_load
from tests.tools.test_train_resume_test import data_opts
from tests.utils import run_tool

LOADER = [
    'train_dataloader.batch_size=16', 'val_dataloader.batch_size=50',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False', 'randomness.seed=3'
]


def weights(path):
    return safe_load(path)['state_dict']


def assert_identical(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f'{key} differs after resume'


@pytest.mark.parametrize('workers, persistent', [(0, False), (2, True)])
def test_baseline_resume_is_bit_identical(tiny_cifar_root, tmp_path, workers, persistent):
    opts = LOADER + data_opts(tiny_cifar_root) + [
        f'train_dataloader.num_workers={workers}',
        f'train_dataloader.persistent_workers={persistent}'
    ]
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    cfg = 'configs/baselines/resnet8_cifar100.py'
    run_tool(['tools/train.py', cfg, '--work-dir', straight, '--cfg-options'] + opts +
             ['train_cfg.max_epochs=2'])
    run_tool(['tools/train.py', cfg, '--work-dir', split, '--cfg-options'] + opts +
             ['train_cfg.max_epochs=1'])
    out = run_tool(['tools/train.py', cfg, '--work-dir', split, '--resume', '--cfg-options'] +
                   opts + ['train_cfg.max_epochs=2']).stdout
    assert 'resumed epoch: 1' in out
    assert_identical(
        weights(osp.join(straight, 'epoch_2.pth')), weights(osp.join(split, 'epoch_2.pth')))


def test_crd_distiller_resume_is_bit_identical(tiny_cifar_root, tmp_path):
    """Trainable connectors, momentum memory bank and random negatives all continue exactly."""
    opts = LOADER + data_opts(tiny_cifar_root)[1:] + [
        f'train_dataloader.dataset.dataset.data_root={tiny_cifar_root}',
        'train_dataloader.num_workers=2', 'train_dataloader.persistent_workers=False',
        'model.teacher=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
        'model.student=configs/_base_/models/resnet8.py',
        'model.distill_losses.crd.connector.n_data=200',
        'model.distill_losses.crd.connector.nce_k=16', 'train_dataloader.dataset.nce_k=16'
    ]
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    cfg = 'configs/crd/resnet56_resnet20.py'
    run_tool(['tools/train.py', cfg, '--work-dir', straight, '--cfg-options'] + opts +
             ['train_cfg.max_epochs=2'])
    run_tool(['tools/train.py', cfg, '--work-dir', split, '--cfg-options'] + opts +
             ['train_cfg.max_epochs=1'])
    run_tool(['tools/train.py', cfg, '--work-dir', split, '--resume', '--cfg-options'] + opts +
             ['train_cfg.max_epochs=2'])
    a, b = weights(osp.join(straight, 'epoch_2.pth')), weights(osp.join(split, 'epoch_2.pth'))
    assert 'connectors.crd.memory_s' in a
    assert_identical(a, b)


def _epoch_images(loader, epoch):
    loader.sampler.set_epoch(epoch)
    images = {}
    for batch in loader:
        for img, sample in zip(batch['inputs'], batch['data_samples']):
            images[int(sample.sample_idx)] = img.clone()
    return images


def test_augmentation_changes_every_epoch_with_recreated_workers(tiny_cifar_root):
    cfg = Config.fromfile('configs/_base_/datasets/cifar100_bs64.py')
    loader_cfg = cfg.train_dataloader.to_dict()
    loader_cfg['dataset']['data_root'] = tiny_cifar_root
    loader_cfg.update(batch_size=20, num_workers=2, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=5)
    assert not isinstance(loader.sampler, DefaultSampler) or \
        type(loader.sampler).__name__ == 'EpochSeededSampler'
    first, again = _epoch_images(loader, 0), _epoch_images(loader, 0)
    second = _epoch_images(loader, 1)
    assert all(torch.equal(first[i], again[i]) for i in first), 'epoch 0 is not reproducible'
    changed = sum(not torch.equal(first[i], second[i]) for i in first)
    assert changed > len(first) // 2, 'augmentations repeat from one epoch to the next'
