"""Class-balanced, fixed-seed subset of a classification dataset (HSAKD's few-shot setting).

HSAKD's ``train_student_few_shot.py`` keeps a fraction ``ratio`` of the
training set with scikit-learn's ``StratifiedShuffleSplit(n_splits=1, test_size=1 - ratio,
random_state=0)`` over the training labels and wraps the dataset in ``Subset``. The split depends
only on the labels (their order) and the seed, not on the training seed, the rank or the
number of processes: every run and every rank sees the same images.
"""
import warnings
from typing import Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS
from .wrapper_utils import ClassificationDatasetWrapper


def stratified_indices(labels: np.ndarray,
                       ratio: float,
                       seed: int = 0,
                       method: str = 'sklearn') -> np.ndarray:
    """Indices (sorted) of a class-balanced ``ratio`` subset of ``labels``.

    ``method='sklearn'``: exactly the reference's ``StratifiedShuffleSplit(n_splits=1,
    test_size=1 - ratio, random_state=seed)`` train indices (CIFAR-100 at 25%: 12,500 images,
    125 per class). ``method='per_class'``: ``max(1, round(ratio * n_c))`` images of every class
    ``c``, drawn with ``numpy.random.RandomState(seed)``; used automatically (with a warning) when
    scikit-learn refuses a split because the dataset is smaller than its class count allows
    (generated test data).
    """
    labels = np.asarray(labels).reshape(-1)
    if method == 'sklearn':
        from sklearn.model_selection import StratifiedShuffleSplit
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=1 - ratio, random_state=seed)
        try:
            train, _ = next(splitter.split(labels[:, None], labels))
            return np.sort(train).astype(np.int64)
        except ValueError as e:
            warnings.warn(
                f'ClassBalancedSubset: scikit-learn cannot split {len(labels)} samples '
                f'at ratio {ratio} ({e}); keeping round(ratio * n) samples of every '
                'class instead (method="per_class").',
                stacklevel=2)
    elif method != 'per_class':
        raise ValueError(f"method must be 'sklearn' or 'per_class', got {method!r}")
    rng = np.random.RandomState(seed)
    keep = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n = max(1, int(round(ratio * len(members))))
        keep.append(rng.permutation(members)[:n])
    return np.sort(np.concatenate(keep)).astype(np.int64)


@DATASETS.register_module()
class ClassBalancedSubset(ClassificationDatasetWrapper):
    """A class-balanced fixed-seed fraction of a dataset, usable with any method.

    Items are the wrapped dataset's items (pipeline output), ``len`` is the subset size, and
    ``get_gt_labels``/``get_data_info``/``get_cat_ids`` refer to the subset. The kept indices are
    in ``self.indices`` (sorted positions in the wrapped dataset).

    Args:
        dataset (dataset or dict): the dataset, or its config; it must provide
            ``get_gt_labels()`` (mmpretrain's ``BaseDataset`` does).
        ratio (float): the fraction to keep, in ``(0, 1]`` (HSAKD: 0.25, 0.5, 0.75).
        seed (int): the split's ``random_state`` (0 in the reference, independent of the run's
            seed).
        method (str): ``'sklearn'`` (the reference's ``StratifiedShuffleSplit``) or
            ``'per_class'`` (see :func:`stratified_indices`).
        lazy_init (bool): defer reading the labels until :meth:`full_init`.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 ratio: float,
                 seed: int = 0,
                 method: str = 'sklearn',
                 lazy_init: bool = False):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not hasattr(dataset, 'get_gt_labels'):
            raise TypeError('ClassBalancedSubset wraps a classification dataset with '
                            f'`get_gt_labels()`; got {type(dataset).__name__}')
        if not 0 < float(ratio) <= 1:
            raise ValueError(f'ClassBalancedSubset ratio must be in (0, 1], got {ratio}')
        if method not in ('sklearn', 'per_class'):
            raise ValueError(f"ClassBalancedSubset method must be 'sklearn' or 'per_class', got "
                             f'{method!r}')
        self.dataset = dataset
        self.ratio = float(ratio)
        self.seed = int(seed)
        self.method = method
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        labels = self.wrapped_gt_labels()
        if self.ratio == 1:
            self.indices = np.arange(len(labels), dtype=np.int64)
        else:
            self.indices = stratified_indices(labels, self.ratio, self.seed, self.method)
        self._labels = labels[self.indices]
        self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self.indices)

    def get_gt_labels(self) -> np.ndarray:
        self.full_init()
        return self._labels.copy()

    def _inner(self, idx: int) -> int:
        """Position in the wrapped dataset; an index that carries the sampler's seed and epoch
        (``mmkd.datasets.reproducible.SeededIndex``) keeps them."""
        self.full_init()
        inner = int(self.indices[idx])
        if isinstance(idx, int) and hasattr(idx, 'seed') and hasattr(idx, 'epoch'):
            return type(idx)(inner, idx.seed, idx.epoch)
        return inner

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self._inner(idx))

    def get_cat_ids(self, idx: int):
        return self.dataset.get_cat_ids(self._inner(idx))

    def __getitem__(self, idx: int):
        return self.dataset[self._inner(idx)]

    def __repr__(self) -> str:
        n = len(self.indices) if self._fully_initialized else '?'
        return (f'{type(self).__name__}(ratio={self.ratio}, seed={self.seed}, '
                f'method={self.method!r}, size={n}, dataset={type(self.dataset).__name__})')
