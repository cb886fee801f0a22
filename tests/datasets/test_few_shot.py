"""ClassBalancedSubset: the reference's stratified split, fixed, class-balanced, usable anywhere."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmkd.datasets.few_shot import ClassBalancedSubset, stratified_indices
from mmkd.registry import DATASETS
from tests.utils import ROOT


def _labels(num_classes=100, per_class=20, seed=3):
    labels = np.repeat(np.arange(num_classes), per_class)
    np.random.default_rng(seed).shuffle(labels)
    return labels


@pytest.mark.parametrize('ratio', [0.25, 0.5, 0.75])
def test_same_indices_as_the_reference_split(ratio):
    """HSAKD: StratifiedShuffleSplit(n_splits=1, test_size=1 - ratio, random_state=0)."""
    from sklearn.model_selection import StratifiedShuffleSplit
    labels = _labels()
    ours = stratified_indices(labels, ratio, seed=0)
    split = StratifiedShuffleSplit(n_splits=1, test_size=1 - ratio, random_state=0)
    reference, _ = list(split.split(np.array(labels)[:, np.newaxis], labels))[0]
    assert np.array_equal(ours, np.sort(reference))
    # class-balanced: ratio * 20 of each of the 100 classes
    assert np.bincount(labels[ours], minlength=100).tolist() == [int(ratio * 20)] * 100


def test_fixed_whatever_the_global_random_state():
    labels = _labels()
    np.random.seed(1)
    torch.manual_seed(1)
    a = stratified_indices(labels, 0.25, seed=0)
    np.random.seed(123)
    torch.manual_seed(123)
    np.random.rand(7)
    b = stratified_indices(labels, 0.25, seed=0)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, stratified_indices(labels, 0.25, seed=1))
    c = stratified_indices(labels, 0.25, seed=0, method='per_class')
    assert np.bincount(labels[c]).tolist() == [5] * 100


def test_wrapper_items_and_labels(tiny_cifar_root):
    base = dict(
        type='CIFAR10',
        data_root=tiny_cifar_root,
        split='train',
        pipeline=[dict(type='PackInputs')])
    full = DATASETS.build(base)
    for ratio, per_class in ((0.25, 2), (0.5, 4), (0.75, 6)):
        subset = DATASETS.build(dict(type='ClassBalancedSubset', dataset=base, ratio=ratio))
        assert len(subset) == 10 * per_class
        assert np.bincount(subset.get_gt_labels()).tolist() == [per_class] * 10
        assert subset.metainfo['classes'] == full.metainfo['classes']
        for i in (0, len(subset) - 1):
            j = int(subset.indices[i])
            assert torch.equal(subset[i]['inputs'], full[j]['inputs'])
            assert subset[i]['data_samples'].gt_label.item() == full.get_gt_labels()[j]
            assert subset.get_data_info(i)['sample_idx'] == j
    whole = ClassBalancedSubset(full, ratio=1.0)
    assert len(whole) == len(full)
    with pytest.raises(ValueError, match='ratio'):
        ClassBalancedSubset(full, ratio=0)


def test_tiny_datasets_fall_back_to_per_class(tiny_cifar_root):
    """2 images per class: scikit-learn cannot split at 25%; one image of every class is kept."""
    base = dict(
        type='CIFAR100',
        data_root=tiny_cifar_root,
        split='train',
        pipeline=[dict(type='PackInputs')])
    with pytest.warns(UserWarning, match='per_class'):
        subset = ClassBalancedSubset(base, ratio=0.25)
    assert np.bincount(subset.get_gt_labels()).tolist() == [1] * 100


def test_seeded_indices_keep_seed_and_epoch(tiny_cifar_root):
    reproducible = pytest.importorskip('mmkd.datasets.reproducible')
    base = dict(
        type='CIFAR10',
        data_root=tiny_cifar_root,
        split='train',
        pipeline=[
            dict(type='SeedAugmentation'),
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='PackInputs')
        ])
    subset = ClassBalancedSubset(base, ratio=0.5)
    idx = reproducible.SeededIndex(3, seed=7, epoch=2)
    a, b = subset[idx], subset[reproducible.SeededIndex(3, seed=7, epoch=2)]
    assert torch.equal(a['inputs'], b['inputs'])  # same (seed, epoch, sample) -> same crop
    assert a['data_samples'].sample_idx == int(subset.indices[3])


def test_few_shot_configs():
    configs = sorted(glob.glob(osp.join(ROOT, 'configs', 'hsakd', 'few_shot', '*.py')))
    ratios = {}
    for path in configs:
        cfg = Config.fromfile(path)
        ds = cfg.train_dataloader.dataset
        assert ds.type == 'ClassBalancedSubset' and ds.seed == 0 and ds.method == 'sklearn'
        assert ds.dataset.type == 'CIFAR100' and ds.dataset.split == 'train'
        assert cfg.val_dataloader.dataset.type == 'CIFAR100'  # the full test set
        assert cfg.train_cfg.max_epochs == 240  # not rescaled, as in the reference
        assert cfg.model.type == 'HSAKDDistiller'
        teacher = 'joint' if '_star_' in osp.basename(path) else 'frozen'
        assert f'resnet56_{teacher}' in cfg.model.teacher_ckpt
        ratios.setdefault(teacher, []).append(ds.ratio)
    assert {
        k: sorted(v)
        for k, v in ratios.items()
    } == {
        'frozen': [0.25, 0.5, 0.75],
        'joint': [0.25, 0.5, 0.75]
    }
