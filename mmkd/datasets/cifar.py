"""CIFAR-10/100 in their real on-disk format (the ``python`` pickles of the Toronto archives).

Differences from mmpretrain's ``CIFAR10``/``CIFAR100`` (which reject any file whose md5 differs from
the official one, so no test can use a generated dataset):

* Files already on disk are read as they are, after structural checks: every file present, arrays
  of shape ``(N, 3072)`` uint8, labels in ``[0, num_classes)``. A problem stops with one message.
* A missing dataset is downloaded by rank 0 (the others wait), the archive is verified against its
  published md5 and extracted safely (:mod:`mmkd.datasets.archive`). A local copy of the archive in
  ``data_root`` is used without downloading. Offline, the message names the folder and the archive.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES, CIFAR100_CATEGORIES

from mmkd.registry import DATASETS
from mmkd.utils.errors import DatasetError
from mmkd.utils.run_checks import check_labels
from mmkd.utils.safe_unpickle import UnsafePickleError, load_plain_pickle
from .archive import ensure_extracted, run_on_rank0


def _load_pickle(path: str) -> dict:
    """Read one ``python``-format batch, admitting only plain data (nothing in it can run code)."""
    try:
        return load_plain_pickle(path, encoding='latin1')
    except UnsafePickleError as e:
        raise DatasetError(
            f'Refused to read {path}: it pickles {e.qualname}, which an official CIFAR file never '
            'contains (only numpy arrays, lists, strings and numbers), and unpickling it could '
            'run code. Delete the dataset folder and extract the official archive again.') from e
    except Exception as e:  # truncated or not a pickle
        raise DatasetError(f'{path} cannot be read ({type(e).__name__}: {e}); the file is '
                           'corrupted. Delete the dataset folder and download it again.') from e


@DATASETS.register_module()
class CIFAR10(BaseDataset):
    """CIFAR-10 from ``<data_root>/cifar-10-batches-py``.

    Args:
        data_root: folder that holds (or will hold) ``cifar-10-batches-py``.
        split: ``'train'`` or ``'test'``.
        download: download the archive when the files are missing.
    """

    base_folder = 'cifar-10-batches-py'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    filename = 'cifar-10-python.tar.gz'
    tgz_md5 = 'c58f30108f718f92721af3b95e74349a'
    train_files = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5']
    test_files = ['test_batch']
    meta_file = 'batches.meta'
    meta_key = 'label_names'
    label_key = 'labels'
    num_classes = 10
    METAINFO = {'classes': CIFAR10_CATEGORIES}

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 download: bool = True,
                 test_mode: bool = False,
                 **kwargs):
        if split not in ('train', 'test'):
            raise DatasetError(f"{type(self).__name__}: split must be 'train' or 'test', "
                               f'got {split!r}')
        if not data_root:
            raise DatasetError(f'{type(self).__name__}: set data_root to the dataset folder, '
                               f'e.g. data/{type(self).__name__.lower()}')
        self.split = split
        self.download = download
        super().__init__(
            ann_file='', metainfo=metainfo, data_root=data_root, test_mode=test_mode, **kwargs)

    # ------------------------------------------------------------------ files
    @property
    def folder(self) -> str:
        return osp.join(self.data_root, self.base_folder)

    @property
    def split_files(self) -> List[str]:
        return self.train_files if self.split == 'train' else self.test_files

    def missing_files(self) -> List[str]:
        names = self.train_files + self.test_files + [self.meta_file]
        return [n for n in names if not osp.isfile(osp.join(self.folder, n))]

    def _missing_message(self, missing: List[str]) -> str:
        return (f'{type(self).__name__} not found: {self.folder} lacks {", ".join(missing)}. '
                f'Put the archive {self.filename} (from {self.url}) into {self.data_root}/ '
                f'(it is extracted on first use), or extract it there yourself so that '
                f'{osp.join(self.folder, self.split_files[0])} exists.')

    def _prepare(self) -> None:
        """Make sure the extracted files exist (rank 0 only)."""
        ensure_extracted(self.missing_files, self._missing_message, self.data_root, self.filename,
                         self.url, self.tgz_md5, self.download)

    # ------------------------------------------------------------------- load
    def load_data_list(self) -> List[dict]:
        run_on_rank0(self._prepare)
        if self.missing_files():  # other ranks on a non-shared disk
            raise DatasetError(self._missing_message(self.missing_files()))
        images, labels = [], []
        for name in self.split_files:
            path = osp.join(self.folder, name)
            entry = _load_pickle(path)
            data, lab = self._check_entry(path, entry)
            images.append(data)
            labels.append(lab)
        images = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.concatenate(labels)
        if self.CLASSES is None:
            self._load_meta()
        return [{'img': img, 'gt_label': int(label)} for img, label in zip(images, labels)]

    def _check_entry(self, path: str, entry) -> tuple:
        if not isinstance(entry, dict) or 'data' not in entry or self.label_key not in entry:
            keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise DatasetError(f'{path} is not a {type(self).__name__} batch: expected the keys '
                               f"'data' and {self.label_key!r}, found {keys}.")
        data = np.asarray(entry['data'])
        labels = np.asarray(entry[self.label_key])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise DatasetError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), got "
                               f'{data.dtype} {data.shape}; the file is corrupted.')
        if labels.shape != (data.shape[0], ):
            raise DatasetError(f'{path}: {data.shape[0]} images but {labels.size} labels; the file '
                               'is corrupted.')
        check_labels(labels, None, path)  # strings or fractions: not class indices
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise DatasetError(f'{path}: labels must lie in [0, {self.num_classes}), found '
                               f'[{labels.min()}, {labels.max()}]; is this the right dataset?')
        return data, labels.astype(np.int64)

    def _load_meta(self) -> None:
        path = osp.join(self.folder, self.meta_file)
        meta = _load_pickle(path)
        if not isinstance(meta, dict) or self.meta_key not in meta:
            raise DatasetError(f'{path} lacks the key {self.meta_key!r}; the file is corrupted.')
        self._metainfo.setdefault('classes', meta[self.meta_key])


@DATASETS.register_module()
class CIFAR100(CIFAR10):
    """CIFAR-100 (fine labels) from ``<data_root>/cifar-100-python``."""

    base_folder = 'cifar-100-python'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    filename = 'cifar-100-python.tar.gz'
    tgz_md5 = 'eb9058c3a382ffc7106e4002c42a8d85'
    train_files = ['train']
    test_files = ['test']
    meta_file = 'meta'
    meta_key = 'fine_label_names'
    label_key = 'fine_labels'
    num_classes = 100
    METAINFO = {'classes': CIFAR100_CATEGORIES}
