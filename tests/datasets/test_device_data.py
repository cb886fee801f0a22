"""--device-data: the training set held as one uint8 tensor on the device gives the per-sample
pipeline's images bit for bit (zero and reflect padding), with the same augmentation
distribution, the same training trajectory and exact resume through tools/train.py."""
import copy
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmkd.datasets.device_data import DeviceDataHook, image_store, use_device_data
from mmkd.datasets.reproducible import SeededIndex
from mmkd.models.data_preprocessors import BatchAugmentClsDataPreprocessor
from mmkd.registry import DATASETS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import ConfigError
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool

PER_SAMPLE = [
    dict(type='SeedAugmentation'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
REFLECT = [
    dict(type='SeedAugmentation'),
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
DEVICE_DATA = [
    dict(type='SeedAugmentation'),
    dict(type='DrawCropFlip', crop_size=32, padding=4),
    dict(type='DropImage'),
    dict(type='PackInputs', meta_keys=('sample_idx', 'crop_offset', 'flip'))
]
SMALL_KD = [
    'model.teacher=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
    'model.student=configs/_base_/models/resnet8.py'
]


def _dataset(root, pipeline):
    return DATASETS.build(dict(type='CIFAR100', data_root=root, split='train', pipeline=pipeline))


def _device_batch(dataset, indices, mode, mean=(0., ) * 3, std=(1., ) * 3):
    pre = BatchAugmentClsDataPreprocessor(
        num_classes=100, mean=list(mean), std=list(std), padding_mode=mode, device_data=True)
    pre.set_image_store(image_store(dataset))
    items = [dataset[i] for i in indices]
    assert all('inputs' not in it for it in items)  # the loader moves no pixels
    return pre(dict(data_samples=[it['data_samples'] for it in items]), training=True), items


@pytest.mark.parametrize('seed, epoch, mode', [(0, 0, 'constant'), (7, 3, 'constant'),
                                               (5, 2, 'reflect')])
def test_device_data_equals_per_sample_pipeline(tiny_cifar_root, seed, epoch, mode):
    reference = _dataset(tiny_cifar_root, PER_SAMPLE if mode == 'constant' else REFLECT)
    device = _dataset(tiny_cifar_root, DEVICE_DATA)
    order = np.random.RandomState(seed).permutation(len(reference))  # a shuffled batch
    indices = [SeededIndex(int(i), seed, epoch) for i in order]
    expected = torch.stack([reference[i]['inputs'] for i in indices]).float()
    out, items = _device_batch(device, indices, mode)
    assert out['inputs'].shape == expected.shape
    assert torch.equal(out['inputs'], expected)
    labels = [int(reference.get_data_info(int(i))['gt_label']) for i in order]
    assert [int(s.gt_label) for s in out['data_samples']] == labels


def test_normalisation_matches_the_standard_preprocessor(tiny_cifar_root):
    """With real mean/std: the standard ClsDataPreprocessor on the per-sample images."""
    from mmpretrain.models.utils import ClsDataPreprocessor
    mean, std = [129.3105, 124.1085, 112.404], [68.2125, 65.4075, 70.4055]
    reference = _dataset(tiny_cifar_root, PER_SAMPLE)
    indices = [SeededIndex(i, 1, 4) for i in range(16)]
    ref = [reference[i] for i in indices]
    standard = ClsDataPreprocessor(
        num_classes=100, mean=mean, std=std)(dict(
            inputs=[r['inputs'] for r in ref], data_samples=[r['data_samples'] for r in ref]), True)
    out, _ = _device_batch(_dataset(tiny_cifar_root, DEVICE_DATA), indices, 'constant', mean, std)
    assert torch.equal(out['inputs'], standard['inputs'])


def test_device_data_draws_have_the_per_sample_distribution(tiny_cifar_root):
    """Statistically: 9 x 9 crop offsets uniform, flips Bernoulli(0.5) (chi-square), and each
    output image is one of the 162 crops/flips of its stored image — the support of the
    per-sample pipeline's distribution."""
    from scipy.stats import chisquare
    device = _dataset(tiny_cifar_root, DEVICE_DATA)
    offsets, flips = [], []
    for epoch in range(45):
        for i in range(len(device)):
            s = device[SeededIndex(i, 2, epoch)]['data_samples']
            offsets.append(s.crop_offset[0] * 9 + s.crop_offset[1])
            flips.append(bool(s.flip))
    assert chisquare(np.bincount(offsets, minlength=81)).pvalue > 1e-4
    assert chisquare([sum(flips), len(flips) - sum(flips)]).pvalue > 1e-4
    out, items = _device_batch(device, [SeededIndex(i, 2, 0) for i in range(8)], 'constant')
    store = image_store(device).permute(0, 3, 1, 2)
    for img, item in zip(out['inputs'], items):
        padded = torch.nn.functional.pad(store[item['data_samples'].sample_idx], [4] * 4)
        crops = [padded[:, t:t + 32, left:left + 32] for t in range(9) for left in range(9)]
        crops += [c.flip(-1) for c in crops]
        assert any(torch.equal(img, c.float()) for c in crops)


def test_hook_hands_the_store_to_the_preprocessor_and_refuses_a_plain_one(tiny_cifar_root):
    dataset = _dataset(tiny_cifar_root, DEVICE_DATA)
    pre = BatchAugmentClsDataPreprocessor(num_classes=100, device_data=True)
    model = torch.nn.Module()
    model.data_preprocessor = pre
    runner = SimpleNamespace(
        model=model, train_loop=SimpleNamespace(dataloader=SimpleNamespace(dataset=dataset)))
    with pytest.raises(ConfigError, match='no device-held images'):
        pre(dict(data_samples=[dataset[SeededIndex(0, 0, 0)]['data_samples']]), True)
    DeviceDataHook().before_train(runner)
    assert pre._images.dtype == torch.uint8 and pre._images.shape == (len(dataset), 3, 32, 32)
    model.data_preprocessor = BatchAugmentClsDataPreprocessor(num_classes=100)
    with pytest.raises(ConfigError, match='device_data=True'):
        DeviceDataHook().before_train(runner)


def test_flag_rewrites_kd_and_ffsd_configs_and_refuses_wrapped_datasets():
    cfg = Config.fromfile('configs/kd/resnet56_resnet20.py')
    use_device_data(cfg)
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline
            ] == ['SeedAugmentation', 'DrawCropFlip', 'DropImage', 'PackInputs']
    pre = cfg.model.data_preprocessor
    assert pre['type'] == 'BatchAugmentClsDataPreprocessor' and pre['device_data']
    assert pre['padding_mode'] == 'constant'
    assert [h['type'] for h in cfg.custom_hooks].count('DeviceDataHook') == 1
    cfg = Config.fromfile('configs/ffsd/resnet20.py')
    use_device_data(cfg)
    assert cfg.model.data_preprocessor['padding_mode'] == 'reflect'
    with pytest.raises(ConfigError, match='no wrapper'):
        use_device_data(Config.fromfile('configs/crd/resnet56_resnet20.py'))
    cfg = Config.fromfile('configs/kd/resnet56_resnet20.py')
    cfg.train_dataloader.dataset.pipeline.insert(1, dict(type='ColorJitter', brightness=0.1))
    with pytest.raises(ConfigError, match='ColorJitter'):
        use_device_data(copy.deepcopy(cfg))


def _weights(path):
    return safe_load(path)['state_dict']


@pytest.mark.slow
def test_device_data_trains_like_the_standard_pipeline_and_resumes_exactly(
        tiny_cifar_root, tmp_path):
    """tools/train.py: the standard pipeline vs --device-data (the same weights after an
    epoch: the same images, the same loss trajectory) and --device-data 2 epochs straight vs 1
    epoch + --resume (bit-identical)."""
    cfg = 'configs/kd/resnet56_resnet20.py'
    opts = TINY + data_opts(tiny_cifar_root) + SMALL_KD + ['train_dataloader.dataset.indices=48']
    work = {name: str(tmp_path / name) for name in ('plain', 'straight', 'split')}
    run_tool(['tools/train.py', cfg, '--work-dir', work['plain'], '--cfg-options'] + opts +
             ['train_cfg.max_epochs=2'])
    run_tool(
        ['tools/train.py', cfg, '--device-data', '--work-dir', work['straight'], '--cfg-options'] +
        opts + ['train_cfg.max_epochs=2'])
    run_tool(
        ['tools/train.py', cfg, '--device-data', '--work-dir', work['split'], '--cfg-options'] +
        opts + ['train_cfg.max_epochs=1'])
    out = run_tool([
        'tools/train.py', cfg, '--device-data', '--work-dir', work['split'], '--resume',
        '--cfg-options'
    ] + opts + ['train_cfg.max_epochs=2']).stdout
    assert 'resumed epoch: 1' in out
    plain = _weights(osp.join(work['plain'], 'epoch_2.pth'))
    straight = _weights(osp.join(work['straight'], 'epoch_2.pth'))
    split = _weights(osp.join(work['split'], 'epoch_2.pth'))
    assert plain.keys() == straight.keys() == split.keys()
    for key in plain:
        assert torch.equal(straight[key], split[key]), f'{key} differs after resume'
        assert torch.equal(plain[key], straight[key]), f'{key}: --device-data trained otherwise'
