"""Draw a sample's random crop and flip in the loader, apply them batched on the device.

:class:`DrawCropFlip` makes exactly the random draws that ``RandomCrop(size, padding)`` followed
by ``RandomFlip(prob, 'horizontal')`` make (the same numpy calls in the same order, so after
:class:`SeedAugmentation` the draws are the same functions of (seed, epoch, sample) as in the
per-sample pipeline) but leaves the image untouched: it stores ``crop_offset`` and ``flip`` in
the sample's meta data. :class:`mmkd.models.BatchAugmentClsDataPreprocessor` then pads, crops
and flips the whole uint8 batch on the training device. The result is bit-identical to the
per-sample pipeline (tested), exact resume included; the loader workers only index and pack.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DrawCropFlip(BaseTransform):
    """Record ``crop_offset=(top, left)`` (in the padded image) and ``flip`` (bool).

    Args:
        crop_size: side of the square crop (CIFAR: 32).
        padding: pixels added on every side before cropping (CIFAR: 4).
        flip_prob: probability of a horizontal flip.
    """

    def __init__(self, crop_size: int = 32, padding: int = 4, flip_prob: float = 0.5):
        self.crop_size, self.padding, self.flip_prob = int(crop_size), int(padding), flip_prob

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        h, w = h + 2 * self.padding, w + 2 * self.padding
        top = np.random.randint(0, h - self.crop_size + 1)  # RandomCrop.rand_crop_params
        left = np.random.randint(0, w - self.crop_size + 1)
        direction = np.random.choice(
            ['horizontal', None],  # RandomFlip._choose_direction
            p=[self.flip_prob, 1.0 - self.flip_prob])
        results['crop_offset'] = (int(top), int(left))
        results['flip'] = direction is not None
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(crop_size={self.crop_size}, padding={self.padding}, '
                f'flip_prob={self.flip_prob})')


@TRANSFORMS.register_module()
class PadBorder(BaseTransform):
    """Pad ``padding`` pixels on every side, with zeros or by reflection.

    mmpretrain's ``RandomCrop(padding=p, padding_mode='reflect')`` pads its ``padding`` with
    zeros whatever ``padding_mode`` says (the mode only applies to ``pad_if_needed``); a
    reflect-padded crop as in FFSD's data/cifar100.py (``transforms.RandomCrop(32, padding=4,
    padding_mode='reflect')``) is ``PadBorder(4, 'reflect')`` followed by ``RandomCrop(32)``.
    ``'reflect'`` mirrors without repeating the edge pixel (numpy's and torch's ``reflect``).
    """

    def __init__(self, padding: int = 4, padding_mode: str = 'constant', pad_val: int = 0):
        if padding_mode not in ('constant', 'reflect'):
            raise ValueError(f"padding_mode must be 'constant' or 'reflect', got {padding_mode!r}")
        self.padding, self.padding_mode, self.pad_val = int(padding), padding_mode, pad_val

    def transform(self, results: dict) -> dict:
        p = self.padding
        widths = ((p, p), (p, p)) + ((0, 0), ) * (results['img'].ndim - 2)
        if self.padding_mode == 'constant':
            img = np.pad(results['img'], widths, constant_values=self.pad_val)
        else:
            img = np.pad(results['img'], widths, mode='reflect')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results
