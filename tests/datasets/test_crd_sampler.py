"""CRDInstanceSampleDataset (RepDistiller dataset/cifar100.py ``CIFAR100InstanceSample``) on a tiny
in-memory dataset."""
from collections import Counter

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.models import ClsDataPreprocessor

from mmkd.datasets.crd_sampler import CRDInstanceSampleDataset

LABELS = [2, 0, 1, 2, 0, 2, 1, 2, 0, 5, 5, 2]  # unbalanced, non-contiguous class ids


class TinyDataset(BaseDataset):
    """Images are 3x4x4 uint8 filled with the sample index; labels from ``LABELS``."""

    def __init__(self, labels=LABELS, meta_keys=PackInputs.DEFAULT_META_KEYS, **kwargs):
        self._labels = list(labels)
        super().__init__(ann_file='', pipeline=[PackInputs(meta_keys=meta_keys)], **kwargs)

    def load_data_list(self):
        return [
            dict(img=np.full((4, 4, 3), i, dtype=np.uint8), gt_label=int(y))
            for i, y in enumerate(self._labels)
        ]


def _wrap(**kwargs):
    return CRDInstanceSampleDataset(TinyDataset(), **kwargs)


def _other_class(i):
    return [j for j, y in enumerate(LABELS) if y != LABELS[i]]


def test_len_and_n_data():
    ds = _wrap(nce_k=3)
    assert len(ds) == ds.n_data == len(LABELS)
    assert list(ds.get_gt_labels()) == LABELS


def test_exact_mode_positive_first_negatives_other_classes():
    np.random.seed(0)
    ds = _wrap(nce_k=5)
    for i in range(len(ds)):
        item = ds[i]
        sample = item['data_samples']
        c = sample.contrast_idx
        assert isinstance(c, torch.Tensor) and c.dtype == torch.int64 and c.shape == (6, )
        assert sample.sample_idx == i
        assert int(c[0]) == i
        neg = c[1:].tolist()
        assert set(neg) <= set(_other_class(i))
        assert len(set(neg)) == len(neg)  # without replacement: pools have >= 5 samples
        assert int(item['inputs'][0, 0, 0]) == i  # the wrapped item itself


def test_relax_mode_positive_same_class():
    np.random.seed(1)
    ds = _wrap(nce_k=2, mode='relax')
    positives = Counter()
    for _ in range(60):
        c = ds[0]['data_samples'].contrast_idx
        assert LABELS[int(c[0])] == LABELS[0]
        assert all(LABELS[j] != LABELS[0] for j in c[1:].tolist())
        positives[int(c[0])] += 1
    # class 2 has 5 members: a random one is drawn, not always the sample itself
    assert set(positives) == {j for j, y in enumerate(LABELS) if y == LABELS[0]}


def test_replacement_when_k_exceeds_pool():
    np.random.seed(2)
    ds = _wrap(nce_k=20)
    c = ds[9]['data_samples'].contrast_idx  # class 5: 10 other-class samples < 20
    assert c.shape == (21, ) and int(c[0]) == 9
    assert set(c[1:].tolist()) <= set(_other_class(9))


def test_negatives_roughly_uniform():
    np.random.seed(3)
    ds = _wrap(nce_k=3)
    counts = Counter()
    n = 3000
    for _ in range(n):
        counts.update(ds.sample_contrast_idx(1)[1:].tolist())
    pool = _other_class(1)
    assert set(counts) == set(pool)
    expected = n * 3 / len(pool)
    assert all(abs(counts[j] - expected) < 0.15 * expected for j in pool)


def test_percent_keeps_a_fixed_subset():
    np.random.seed(4)
    ds = _wrap(nce_k=2, percent=0.5)
    pool = _other_class(0)  # 7 samples -> int(3.5) = 3 kept
    seen = set()
    for _ in range(200):
        seen.update(ds.sample_contrast_idx(0)[1:].tolist())
    assert len(seen) == 3 and seen <= set(pool)


def test_seeded_numpy_rng_reproduces():
    ds = _wrap(nce_k=4, mode='relax')
    np.random.seed(5)
    a = [ds.sample_contrast_idx(i) for i in range(len(ds))]
    np.random.seed(5)
    b = [ds.sample_contrast_idx(i) for i in range(len(ds))]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize('meta_keys', [PackInputs.DEFAULT_META_KEYS, ()])
def test_fields_survive_pseudo_collate_and_preprocessor(meta_keys):
    np.random.seed(6)
    ds = CRDInstanceSampleDataset(TinyDataset(meta_keys=meta_keys), nce_k=4)
    batch = pseudo_collate([ds[i] for i in (3, 0, 7)])
    data = ClsDataPreprocessor()(batch, training=True)
    samples = data['data_samples']
    idx = torch.as_tensor([s.sample_idx for s in samples])
    cidx = torch.stack([s.contrast_idx for s in samples])
    assert idx.tolist() == [3, 0, 7]
    assert cidx.shape == (3, 5) and cidx[:, 0].tolist() == [3, 0, 7]
    assert data['inputs'].shape == (3, 3, 4, 4)
    assert [int(s.gt_label) for s in samples] == [LABELS[3], LABELS[0], LABELS[7]]


def test_build_and_errors():
    from mmkd.registry import DATASETS
    from mmkd.utils import register_all_modules
    register_all_modules()
    ds = DATASETS.build(
        dict(type='CRDInstanceSampleDataset', dataset=TinyDataset(), nce_k=3, mode='relax'))
    assert isinstance(ds, CRDInstanceSampleDataset) and ds.mode == 'relax'
    lazy = CRDInstanceSampleDataset(TinyDataset(), nce_k=3, lazy_init=True)
    assert lazy[0]['data_samples'].contrast_idx.shape == (4, )
    with pytest.raises(ValueError, match='mode'):
        _wrap(mode='other')
    with pytest.raises(ValueError, match='percent'):
        _wrap(percent=0)
    with pytest.raises(ValueError, match='two classes'):
        CRDInstanceSampleDataset(TinyDataset(labels=[1, 1, 1]), nce_k=2)
