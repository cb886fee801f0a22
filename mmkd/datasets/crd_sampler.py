"""Dataset wrapper that adds CRD's contrast indices to every item.

Reference: RepDistiller/SemCKD dataset/cifar100.py
``CIFAR100InstanceSample``, generalised to any mmpretrain-style dataset.
"""
from typing import Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.structures import BaseDataElement

from mmkd.registry import DATASETS
from .wrapper_utils import ClassificationDatasetWrapper


@DATASETS.register_module()
class CRDInstanceSampleDataset(ClassificationDatasetWrapper):
    """Wrap a classification dataset so each item also carries ``sample_idx`` and ``contrast_idx``.

    Each item is the wrapped dataset's item (the pipeline's dict with ``inputs`` and
    ``data_samples``) with two extra fields on its ``DataSample``:

    * ``sample_idx`` (int, **metainfo**): the item's index in the dataset, i.e. its memory-bank
      row. mmpretrain's ``PackInputs`` already stores ``sample_idx`` as metainfo by default
      (``BaseDataset.get_data_info`` adds it), and a key cannot be metainfo and data at the same
      time, so it is (re)written with ``set_metainfo``.
    * ``contrast_idx`` (``torch.LongTensor`` of shape ``(nce_k + 1,)``, **data field**, set with
      ``set_field``): column 0 is the positive, the other ``nce_k`` entries are negatives drawn
      uniformly from the samples of **other classes**, without replacement unless ``nce_k`` exceeds
      that pool. ``mode='exact'``: the positive is the item itself; ``mode='relax'``: a random
      sample of the same class (possibly itself). ``percent < 1`` keeps a fixed random subset
      (``int(len * percent)`` of each class's negative pool, drawn once at initialisation).

    Both survive mmengine's ``pseudo_collate`` and ``default_collate`` (the CIFAR configs'
    ``collate_fn``), which leave ``DataSample`` objects untouched in the ``data_samples`` list;
    ``ClsDataPreprocessor`` only reads ``gt_label``/``gt_score`` from them. A distiller builds
    the batch tensors as ``torch.as_tensor([ds.sample_idx for ds in data_samples])`` and
    ``torch.stack([ds.contrast_idx for ds in data_samples])`` and moves them to the device.
    If an item is a dict without a ``data_samples`` element, the two values are added to the dict
    itself instead.

    Randomness: like the reference, the sampling uses **numpy's global RNG** (``np.random``), not a
    per-index seed. Runs are reproducible when that RNG is seeded in every data-loader process
    (mmengine's runner does this via ``worker_init_fn`` when ``randomness.seed`` is set); items are
    not a function of (index, epoch) alone.

    Memory: with ``percent == 1`` the negative pools are not materialised (a class-sorted index
    array plus per-class offsets, O(N)), so ImageNet-sized datasets are fine.

    Args:
        dataset (dataset or dict): the dataset to wrap, or its config. It must provide
            ``get_gt_labels()`` (mmpretrain's ``BaseDataset`` does).
        nce_k (int): number of negatives per item (16384 in the reference recipe). Must equal
            the ``CRDConnector``'s ``nce_k``.
        mode (str): ``'exact'`` (default) or ``'relax'``.
        percent (float): fraction of each negative pool to keep, in ``(0, 1]``.
        lazy_init (bool): defer reading the labels until :meth:`full_init`.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 nce_k: int = 16384,
                 mode: str = 'exact',
                 percent: float = 1.0,
                 lazy_init: bool = False):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not hasattr(dataset, 'get_gt_labels'):
            raise TypeError('CRDInstanceSampleDataset wraps a classification dataset with '
                            f'`get_gt_labels()`; got {type(dataset).__name__}')
        if mode not in ('exact', 'relax'):
            raise ValueError("CRDInstanceSampleDataset mode must be 'exact' or 'relax', "
                             f'got {mode!r}')
        if not 0 < percent <= 1:
            raise ValueError(f'percent must be in (0, 1], got {percent}')
        if int(nce_k) < 1:
            raise ValueError(f'nce_k must be >= 1, got {nce_k}')
        self.dataset = dataset
        self.nce_k = int(nce_k)
        self.mode = mode
        self.percent = float(percent)
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    # ------------------------------------------------------------------ mmengine dataset API
    def full_init(self) -> None:
        if self._fully_initialized:
            return
        labels = self.wrapped_gt_labels()
        self._labels = labels
        self._classes, self._label_pos = np.unique(labels, return_inverse=True)
        self._label_pos = self._label_pos.reshape(-1)
        # indices sorted by class: class c occupies self._order[start[c]:end[c]]
        self._order = np.argsort(self._label_pos, kind='stable')
        counts = np.bincount(self._label_pos, minlength=len(self._classes))
        self._end = np.cumsum(counts)
        self._start = self._end - counts
        n = len(labels)
        if np.any(counts == n):
            raise ValueError('CRDInstanceSampleDataset needs at least two classes: a class has no '
                             'negatives (samples of other classes).')
        self._neg_subsets = None
        if self.percent < 1:
            subsets = []
            for c in range(len(self._classes)):
                pool = np.concatenate([self._order[:self._start[c]], self._order[self._end[c]:]])
                keep = max(1, int(len(pool) * self.percent))
                subsets.append(np.random.permutation(pool)[:keep])
            self._neg_subsets = subsets
        self._fully_initialized = True

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def n_data(self) -> int:
        """Number of samples = rows of the CRD memory bank."""
        return len(self.dataset)

    def get_gt_labels(self) -> np.ndarray:
        self.full_init()
        return self._labels.copy()

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    def get_cat_ids(self, idx: int):
        return self.dataset.get_cat_ids(idx)

    # ------------------------------------------------------------------ sampling
    def sample_contrast_idx(self, idx: int) -> np.ndarray:
        """``[positive] + nce_k negatives`` for item ``idx`` (int64 array of length nce_k+1)."""
        self.full_init()
        c = self._label_pos[idx]
        start, end = int(self._start[c]), int(self._end[c])
        if self.mode == 'exact':
            pos = idx
        else:  # relax: a random sample of the same class
            pos = int(self._order[start + np.random.randint(end - start)])
        if self._neg_subsets is not None:
            pool = self._neg_subsets[c]
            replace = self.nce_k > len(pool)
            neg = np.random.choice(pool, self.nce_k, replace=replace)
        else:
            pool_size = len(self._order) - (end - start)
            replace = self.nce_k > pool_size
            pos_in_pool = np.random.choice(pool_size, self.nce_k, replace=replace)
            # position p in the pool = order[p] below the class block, order[p + n_c] above it
            pos_in_pool = np.where(pos_in_pool >= start, pos_in_pool + (end - start), pos_in_pool)
            neg = self._order[pos_in_pool]
        return np.concatenate([np.asarray([pos], dtype=np.int64), neg.astype(np.int64)])

    def __getitem__(self, idx: int):
        self.full_init()
        item = self.dataset[idx]
        contrast_idx = torch.from_numpy(self.sample_contrast_idx(idx))
        data_sample = item.get('data_samples') if isinstance(item, dict) else None
        if isinstance(data_sample, BaseDataElement):
            data_sample.set_metainfo(dict(sample_idx=int(idx)))
            data_sample.set_field(contrast_idx, 'contrast_idx')
        elif isinstance(item, dict):
            item['sample_idx'] = int(idx)
            item['contrast_idx'] = contrast_idx
        else:
            raise TypeError('CRDInstanceSampleDataset expects the wrapped dataset to return a dict '
                            f'(the packed pipeline output), got {type(item).__name__}')
        return item

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(nce_k={self.nce_k}, mode={self.mode!r}, '
                f'percent={self.percent}, n_data={len(self)}, '
                f'dataset={type(self.dataset).__name__})')
