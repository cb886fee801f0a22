"""Write a tiny CIFAR-10/100 in the real on-disk format (for tests, smoke runs and demos).

The files are pickles with the same keys as the Toronto archives (``data`` uint8 (N, 3072) in
CHW-planar order, ``fine_labels``/``coarse_labels`` or ``labels``, ``filenames``, ``batch_label``)
so :class:`mmkd.datasets.CIFAR100` reads them with the same code as the real data. Images are
class-dependent (a per-class colour and a bright square whose position encodes the class, plus
noise), so a small network can learn them and accuracy is meaningful.

Command line: ``python tools/dataset_converters/make_tiny_cifar.py data/tiny_cifar100``.
"""
import os
import os.path as osp
import pickle
from typing import Optional

import numpy as np


def _class_images(labels: np.ndarray, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    n = len(labels)
    colours = np.random.default_rng(1234).integers(40, 216, size=(num_classes, 3))
    imgs = rng.normal(0, 18, size=(n, 32, 32, 3)) + colours[labels][:, None, None, :]
    grid = int(np.ceil(np.sqrt(num_classes)))
    cell = 32 // grid if grid <= 8 else 4
    for i, y in enumerate(labels):
        r, c = divmod(int(y) % (grid * grid), grid)
        r0, c0 = (r * cell) % 28, (c * cell) % 28
        imgs[i, r0:r0 + max(cell, 4), c0:c0 + max(cell, 4)] = 255 - colours[y]
    imgs = np.clip(imgs, 0, 255).astype(np.uint8)
    return imgs.transpose(0, 3, 1, 2).reshape(n, 3072)  # CHW planes, like the real files


def _dump(obj: dict, path: str) -> None:
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=2)


def _labels(per_class: int, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    labels = np.repeat(np.arange(num_classes), per_class)
    rng.shuffle(labels)
    return labels


def write_tiny_cifar(root: str,
                     num_classes: int = 100,
                     train_per_class: int = 5,
                     test_per_class: int = 2,
                     seed: int = 0,
                     class_names: Optional[list] = None) -> str:
    """Write a tiny CIFAR-100 (``num_classes=100``) or CIFAR-10 (``num_classes=10``) under ``root``.

    Returns the dataset folder (``root/cifar-100-python`` or ``root/cifar-10-batches-py``).
    """
    if num_classes not in (10, 100):
        raise ValueError('num_classes must be 10 (CIFAR-10) or 100 (CIFAR-100)')
    rng = np.random.default_rng(seed)
    train_y = _labels(train_per_class, num_classes, rng)
    test_y = _labels(test_per_class, num_classes, rng)
    names = class_names or [f'class_{i}' for i in range(num_classes)]
    if num_classes == 100:
        folder = osp.join(root, 'cifar-100-python')
        os.makedirs(folder, exist_ok=True)
        for split, y in (('train', train_y), ('test', test_y)):
            _dump(
                {
                    'filenames': [f'{split}_{i}.png' for i in range(len(y))],
                    'batch_label': f'tiny {split}',
                    'fine_labels': y.tolist(),
                    'coarse_labels': (y // 5).tolist(),
                    'data': _class_images(y, num_classes, rng)
                }, osp.join(folder, split))
        _dump({
            'fine_label_names': names,
            'coarse_label_names': [f'super_{i}' for i in range(20)]
        }, osp.join(folder, 'meta'))
        return folder
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    for i, part in enumerate(np.array_split(train_y, 5), start=1):
        _dump(
            {
                'batch_label': f'training batch {i} of 5',
                'labels': part.tolist(),
                'data': _class_images(part, num_classes, rng),
                'filenames': [f'train_{i}_{j}.png' for j in range(len(part))]
            }, osp.join(folder, f'data_batch_{i}'))
    _dump(
        {
            'batch_label': 'testing batch 1 of 1',
            'labels': test_y.tolist(),
            'data': _class_images(test_y, num_classes, rng),
            'filenames': [f'test_{j}.png' for j in range(len(test_y))]
        }, osp.join(folder, 'test_batch'))
    _dump({
        'label_names': names,
        'num_cases_per_batch': len(train_y) // 5,
        'num_vis': 3072
    }, osp.join(folder, 'batches.meta'))
    return folder
