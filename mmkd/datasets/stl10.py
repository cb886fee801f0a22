"""STL-10 in its official binary format (``stl10_binary/*.bin``), plus a tiny-dataset writer.

Layout (``data_root`` holds the folder, like :class:`mmkd.datasets.CIFAR100`)::

    <data_root>/stl10_binary/
        train_X.bin  train_y.bin      # 5,000 labelled training images
        test_X.bin   test_y.bin       # 8,000 test images
        class_names.txt               # 10 lines: airplane, bird, ..., truck
        (unlabeled_X.bin, fold_indices.txt: not read)

``*_X.bin`` hold uint8 images of 3×96×96, each stored **column-major** per channel (the official
MATLAB-style order: reshape to ``(N, 3, 96, 96)`` and swap the last two axes to get (C, H, W)).
``*_y.bin`` hold one uint8 label per image in ``1..10``; they become ``0..9`` here. Images come
out as RGB ``uint8 (96, 96, 3)`` arrays under ``img`` (no ``LoadImageFromFile`` in the pipeline).

Like CIFAR: files on disk are read as they are after structural checks (files present, byte sizes,
label range, 10 class names); a missing dataset is downloaded by rank 0 (2.5 GB, md5-checked,
extracted safely) or the message names the folder and the archive.
"""
import os
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmkd.registry import DATASETS
from mmkd.utils.errors import DatasetError
from .archive import ensure_extracted, run_on_rank0

STL10_CATEGORIES = ('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship',
                    'truck')
IMAGE_SHAPE = (3, 96, 96)
IMAGE_BYTES = 3 * 96 * 96


@DATASETS.register_module()
class STL10(BaseDataset):
    """STL-10 (10 classes, 96×96) from ``<data_root>/stl10_binary``.

    Args:
        data_root: folder that holds (or will hold) ``stl10_binary``.
        split: ``'train'`` (the 5,000 labelled images) or ``'test'`` (8,000 images).
        download: download the archive when the files are missing.
    """

    base_folder = 'stl10_binary'
    url = 'http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz'
    filename = 'stl10_binary.tar.gz'
    tgz_md5 = '91f7769df0f17e558f3565bffb0c7dfb'
    split_files = {'train': ('train_X.bin', 'train_y.bin'), 'test': ('test_X.bin', 'test_y.bin')}
    class_names_file = 'class_names.txt'
    num_classes = 10
    METAINFO = {'classes': STL10_CATEGORIES}

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 download: bool = True,
                 test_mode: bool = False,
                 **kwargs):
        if split not in self.split_files:
            raise DatasetError(f"STL10: split must be 'train' or 'test', got {split!r} "
                               '(the unlabelled split is not supported)')
        if not data_root:
            raise DatasetError('STL10: set data_root to the dataset folder, e.g. data/stl10')
        self.split = split
        self.download = download
        super().__init__(
            ann_file='', metainfo=metainfo, data_root=data_root, test_mode=test_mode, **kwargs)

    # ------------------------------------------------------------------ files
    @property
    def folder(self) -> str:
        return osp.join(self.data_root, self.base_folder)

    def required_files(self) -> List[str]:
        return [*self.split_files['train'], *self.split_files['test'], self.class_names_file]

    def missing_files(self) -> List[str]:
        return [n for n in self.required_files() if not osp.isfile(osp.join(self.folder, n))]

    def _missing_message(self, missing: List[str]) -> str:
        return (f'STL10 not found: {self.folder} lacks {", ".join(missing)}. Put the archive '
                f'{self.filename} (from {self.url}, 2.5 GB) into {self.data_root}/ (it is '
                'extracted on first use), or extract it there yourself so that '
                f'{osp.join(self.folder, "train_X.bin")} exists.')

    def _prepare(self) -> None:
        """Make sure the extracted files exist (rank 0 only)."""
        ensure_extracted(
            self.missing_files,
            self._missing_message,
            self.data_root,
            self.filename,
            self.url,
            self.tgz_md5,
            self.download,
            timeout=120.0)

    # ------------------------------------------------------------------- load
    def load_data_list(self) -> List[dict]:
        run_on_rank0(self._prepare)
        if self.missing_files():  # other ranks on a non-shared disk
            raise DatasetError(self._missing_message(self.missing_files()))
        x_name, y_name = self.split_files[self.split]
        images, labels = read_stl10_split(
            osp.join(self.folder, x_name), osp.join(self.folder, y_name), self.num_classes)
        names = read_class_names(osp.join(self.folder, self.class_names_file), self.num_classes)
        self._metainfo.setdefault('classes', names)
        return [{'img': img, 'gt_label': int(y)} for img, y in zip(images, labels)]


def read_class_names(path: str, num_classes: int = 10) -> tuple:
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if len(names) != num_classes:
        raise DatasetError(f'{path} lists {len(names)} class names, expected {num_classes}; the '
                           'file is corrupted.')
    return names


def read_stl10_split(x_path: str, y_path: str, num_classes: int = 10) -> tuple:
    """Read one split: ``(images uint8 (N, 96, 96, 3) RGB, labels int64 (N,) in 0..9)``."""
    y_size = os.path.getsize(y_path)
    x_size = os.path.getsize(x_path)
    if x_size % IMAGE_BYTES:
        raise DatasetError(f'{x_path} has {x_size} bytes, not a multiple of {IMAGE_BYTES} '
                           '(one 3×96×96 image); the file is truncated or corrupted.')
    if x_size // IMAGE_BYTES != y_size:
        raise DatasetError(f'{x_path} holds {x_size // IMAGE_BYTES} images but {y_path} '
                           f'{y_size} labels; one of the files is truncated or corrupted.')
    labels = np.fromfile(y_path, dtype=np.uint8).astype(np.int64)
    if labels.size and (labels.min() < 1 or labels.max() > num_classes):
        raise DatasetError(f'{y_path}: labels must lie in [1, {num_classes}], found '
                           f'[{labels.min()}, {labels.max()}]; is this the STL-10 binary file?')
    raw = np.fromfile(x_path, dtype=np.uint8).reshape(-1, *IMAGE_SHAPE)
    # column-major per channel: raw[n, c, w, h] -> image[n, h, w, c]
    images = np.ascontiguousarray(raw.transpose(0, 3, 2, 1))
    return images, labels - 1


# ---------------------------------------------------------------------------- tiny writer
def stl10_to_bytes(images: np.ndarray) -> bytes:
    """Inverse of the reading above: RGB ``(N, 96, 96, 3)`` uint8 -> the ``*_X.bin`` bytes."""
    images = np.asarray(images, dtype=np.uint8)
    if images.ndim != 4 or images.shape[1:] != (96, 96, 3):
        raise ValueError(f'images must be (N, 96, 96, 3) uint8, got {images.shape}')
    return np.ascontiguousarray(images.transpose(0, 3, 2, 1)).tobytes()


def _class_images(labels: np.ndarray, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Class-dependent 96×96 images: a per-class colour plus a bright square placed by class."""
    n = len(labels)
    colours = np.random.default_rng(4321).integers(40, 216, size=(num_classes, 3))
    imgs = rng.normal(0, 18, size=(n, 96, 96, 3)) + colours[labels][:, None, None, :]
    for i, y in enumerate(labels):
        r, c = divmod(int(y), 4)
        imgs[i, 8 + r * 24:28 + r * 24, 8 + c * 20:28 + c * 20] = 255 - colours[y]
    return np.clip(imgs, 0, 255).astype(np.uint8)


def write_tiny_stl10(root: str,
                     train_per_class: int = 4,
                     test_per_class: int = 2,
                     seed: int = 0) -> str:
    """Write a tiny STL-10 in the real binary format under ``root``; return ``root/stl10_binary``.

    Command line: ``python tools/dataset_converters/make_tiny_stl10_tinyimagenet.py``.
    """
    rng = np.random.default_rng(seed)
    folder = osp.join(root, STL10.base_folder)
    os.makedirs(folder, exist_ok=True)
    for split, per_class in (('train', train_per_class), ('test', test_per_class)):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        x_name, y_name = STL10.split_files[split]
        with open(osp.join(folder, x_name), 'wb') as f:
            f.write(stl10_to_bytes(_class_images(labels, 10, rng)))
        with open(osp.join(folder, y_name), 'wb') as f:
            f.write((labels + 1).astype(np.uint8).tobytes())
    with open(osp.join(folder, STL10.class_names_file), 'w', encoding='utf-8') as f:
        f.write('\n'.join(STL10_CATEGORIES) + '\n')
    return folder
