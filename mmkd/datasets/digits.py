"""A small real image dataset that needs no download: scikit-learn's handwritten digits.

1,797 grey 8×8 scans of the digits 0-9 (UCI optdigits, shipped inside scikit-learn), upsampled
to 32×32 RGB so that every CIFAR network runs on them unchanged. The split is fixed: every fifth
image (by index) is the test set (360 images), the rest (1,437) the training set.
"""
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmkd.registry import DATASETS
from mmkd.utils.errors import DatasetError


def load_digits_32x32() -> tuple:
    """Return ``(images uint8 (N, 32, 32, 3), labels int64 (N,))``."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise DatasetError('The Digits dataset needs scikit-learn: pip install scikit-learn') from e
    digits = load_digits()
    grey = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)  # values 0..16 -> 0..255
    big = grey.repeat(4, axis=1).repeat(4, axis=2)  # 8x8 -> 32x32, each pixel a 4x4 block
    return np.repeat(big[..., None], 3, axis=3), digits.target.astype(np.int64)


@DATASETS.register_module()
class Digits(BaseDataset):
    """scikit-learn's handwritten digits at 32×32 (10 classes).

    Args:
        split: ``'train'`` (1,437 images) or ``'test'`` (360 images).
    """

    METAINFO = {'classes': tuple(str(i) for i in range(10))}

    def __init__(self, split: str = 'train', metainfo: Optional[dict] = None, **kwargs):
        if split not in ('train', 'test'):
            raise DatasetError(f"Digits: split must be 'train' or 'test', got {split!r}")
        self.split = split
        super().__init__(ann_file='', metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, labels = load_digits_32x32()
        is_test = np.arange(len(labels)) % 5 == 0
        keep = is_test if self.split == 'test' else ~is_test
        return [{'img': img, 'gt_label': int(y)} for img, y in zip(images[keep], labels[keep])]
