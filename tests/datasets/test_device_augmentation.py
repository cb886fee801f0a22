"""The batched on-device crop/flip gives the per-sample pipeline's images, bit for bit."""
import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmkd.datasets.reproducible import SeededIndex
from mmkd.models.data_preprocessors import BatchAugmentClsDataPreprocessor, crop_flip
from mmkd.registry import DATASETS
from mmkd.utils.errors import ConfigError
from mmkd.utils.fast_path import use_device_augmentation

PER_SAMPLE = [
    dict(type='SeedAugmentation'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
DEVICE = [
    dict(type='SeedAugmentation'),
    dict(type='DrawCropFlip', crop_size=32, padding=4),
    dict(type='PackInputs', meta_keys=('sample_idx', 'crop_offset', 'flip'))
]


def _dataset(root, pipeline):
    return DATASETS.build(dict(type='CIFAR100', data_root=root, split='train', pipeline=pipeline))


REFLECT = [
    dict(type='SeedAugmentation'),
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]


@pytest.mark.parametrize('seed, epoch, mode', [(0, 0, 'constant'), (7, 3, 'constant'),
                                               (5, 2, 'reflect')])
def test_device_path_equals_per_sample_pipeline(tiny_cifar_root, seed, epoch, mode):
    reference = _dataset(tiny_cifar_root, PER_SAMPLE if mode == 'constant' else REFLECT)
    device = _dataset(tiny_cifar_root, DEVICE)
    indices = [SeededIndex(i, seed, epoch) for i in range(len(reference))]
    expected = torch.stack([reference[i]['inputs'] for i in indices])
    items = [device[i] for i in indices]
    pre = BatchAugmentClsDataPreprocessor(
        num_classes=100, mean=[0.] * 3, std=[1.] * 3, padding_mode=mode)
    out = pre(
        dict(
            inputs=[it['inputs'] for it in items],
            data_samples=[it['data_samples'] for it in items]),
        training=True)
    assert out['inputs'].shape == expected.shape
    assert torch.equal(out['inputs'], expected.float())
    flips = [bool(it['data_samples'].flip) for it in items]
    assert 0 < sum(flips) < len(flips)  # both branches are exercised
    # validation batches (no crop_offset) are untouched
    plain = pre(dict(inputs=[it['inputs'] for it in items], data_samples=None), training=False)
    assert torch.equal(plain['inputs'], torch.stack([it['inputs'] for it in items]).float())


def test_draws_are_uniform_offsets_and_fair_flips(tiny_cifar_root):
    """The draws' distribution: 9 x 9 offsets uniform, flips Bernoulli(0.5) (chi-square)."""
    from scipy.stats import chisquare
    device = _dataset(tiny_cifar_root, DEVICE)
    offsets, flips = [], []
    for epoch in range(45):
        for i in range(len(device)):
            s = device[SeededIndex(i, 1, epoch)]['data_samples']
            offsets.append(s.crop_offset[0] * 9 + s.crop_offset[1])
            flips.append(bool(s.flip))
    counts = np.bincount(offsets, minlength=81)
    assert counts.size == 81
    assert chisquare(counts).pvalue > 1e-4
    assert chisquare([sum(flips), len(flips) - sum(flips)]).pvalue > 1e-4


def test_reflect_padding_mirrors_without_repeating_the_edge():
    x = torch.arange(16, dtype=torch.uint8).view(1, 1, 4, 4)
    out = crop_flip(x, torch.tensor([0]), torch.tensor([0]), torch.tensor([False]), 4, 1, 'reflect')
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)), mode='reflect')[..., :4, :4]
    assert torch.equal(out, torch.from_numpy(expected))


def test_pad_border_reflects_like_numpy_and_the_crop_sees_no_zeros():
    from mmkd.datasets import PadBorder
    img = np.random.RandomState(0).randint(1, 255, (32, 32, 3)).astype(np.uint8)
    out = PadBorder(4, 'reflect').transform(dict(img=img))['img']
    assert out.shape == (40, 40, 3) and out.min() > 0
    np.testing.assert_array_equal(out, np.pad(img, ((4, 4), (4, 4), (0, 0)), mode='reflect'))
    zeros = PadBorder(4).transform(dict(img=img))['img']
    assert (zeros[:4] == 0).all() and (zeros[4:-4, 4:-4] == img).all()


def test_device_aug_flag_rewrites_a_cifar_config_and_refuses_others():
    cfg = Config.fromfile('configs/kd/resnet56_resnet20.py')
    use_device_augmentation(cfg)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types == ['SeedAugmentation', 'DrawCropFlip', 'PackInputs']
    assert cfg.model.data_preprocessor['type'] == 'BatchAugmentClsDataPreprocessor'
    assert cfg.model.data_preprocessor['mean'] == cfg.data_preprocessor['mean']
    cfg = Config.fromfile('configs/kd/resnet56_resnet20.py')
    cfg.train_dataloader.dataset.pipeline = [dict(type='PackInputs')]
    with pytest.raises(ConfigError, match='needs a RandomCrop'):
        use_device_augmentation(copy.deepcopy(cfg))
