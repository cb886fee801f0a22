"""torchvision's ``RandomRotation`` as an mmcv transform (the Tf-KD recipe, Tf-KD data_loader.py).

mmpretrain's ``Rotate`` is an AutoAugment operation (a fixed magnitude with a random sign, rotated
by OpenCV about ``((w−1)/2, (h−1)/2)``), not torchvision's ``RandomRotation(degrees)``. This one
does what ``transforms.RandomRotation(15)`` does on a PIL image: an angle drawn uniformly from
``[−degrees, degrees]``, ``PIL.Image.rotate`` about the image centre (counter-clockwise for a
positive angle), nearest-neighbour resampling, same output size, pixels from outside filled with
``fill`` (0: black, before normalisation). The angle comes from ``numpy.random`` (seeded per
sample by ``SeedAugmentation``/mmengine's worker seeding) and is recorded in
``results['rotation_angle']``.
"""
from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from PIL import Image

from mmkd.registry import TRANSFORMS

_RESAMPLE = {
    'nearest': Image.Resampling.NEAREST,
    'bilinear': Image.Resampling.BILINEAR,
    'bicubic': Image.Resampling.BICUBIC
}


def rotate_like_torchvision(img: np.ndarray,
                            angle: float,
                            interpolation: str = 'nearest',
                            fill: Union[Number, Sequence[Number]] = 0,
                            center: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """Rotate an ``(H, W)`` or ``(H, W, C)`` array by ``angle`` degrees exactly as torchvision's
    ``F.rotate`` rotates the corresponding PIL image (``expand=False``).

    Every channel is rotated as its own single-band PIL image (``'L'`` for uint8, ``'F'`` for
    floats): PIL's nearest/bilinear resampling is per band, so this equals rotating the RGB image.
    """
    if img.ndim not in (2, 3):
        raise ValueError(f'RandomRotation expects an (H, W) or (H, W, C) image, got shape '
                         f'{img.shape}')
    channels = [img] if img.ndim == 2 else [img[..., c] for c in range(img.shape[2])]
    fills = list(fill) if isinstance(fill, (list, tuple)) else [fill] * len(channels)
    if len(fills) != len(channels):
        raise ValueError(f'fill has {len(fills)} values for an image with {len(channels)} '
                         'channels')
    out = []
    for band, value in zip(channels, fills):
        if band.dtype == np.uint8:  # PIL mode 'L'
            pil, value = Image.fromarray(np.ascontiguousarray(band)), int(value)
        else:  # PIL mode 'F'
            pil, value = Image.fromarray(np.ascontiguousarray(band, np.float32)), float(value)
        rotated = pil.rotate(
            angle, resample=_RESAMPLE[interpolation], expand=False, center=center, fillcolor=value)
        out.append(np.asarray(rotated, dtype=band.dtype))
    return out[0] if img.ndim == 2 else np.stack(out, axis=2)


@TRANSFORMS.register_module()
class RandomRotation(BaseTransform):
    """Rotate ``results['img']`` by an angle drawn uniformly from ``degrees`` (torchvision's
    ``RandomRotation``; the Tf-KD CIFAR recipe uses ``RandomRotation(degrees=15)``).

    Args:
        degrees: ``d`` for ``[−d, d]``, or a ``(min, max)`` pair.
        interpolation: ``'nearest'`` (torchvision's default), ``'bilinear'`` or ``'bicubic'``.
        fill: value (or per-channel values) for pixels that come from outside the image.
        center: rotation centre ``(x, y)`` in PIL's pixel coordinates; ``None``: the image centre.
        prob: probability of rotating at all (1: always, as torchvision).
    """

    def __init__(self,
                 degrees: Union[float, Sequence[float]] = 15.0,
                 interpolation: str = 'nearest',
                 fill: Union[Number, Sequence[Number]] = 0,
                 center: Optional[Sequence[float]] = None,
                 prob: float = 1.0):
        if isinstance(degrees, Number):
            if degrees < 0:
                raise ValueError(f'degrees must be non-negative, got {degrees}')
            degrees = (-float(degrees), float(degrees))
        degrees = tuple(float(d) for d in degrees)
        if len(degrees) != 2 or degrees[0] > degrees[1]:
            raise ValueError(f'degrees must be a number or a (min, max) pair, got {degrees}')
        if interpolation not in _RESAMPLE:
            raise ValueError(f'interpolation must be one of {sorted(_RESAMPLE)}, got '
                             f'{interpolation!r}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.degrees = degrees
        self.interpolation = interpolation
        self.fill = fill
        self.center = tuple(center) if center is not None else None
        self.prob = prob

    @cache_randomness
    def _random_angle(self) -> Optional[float]:
        if self.prob < 1.0 and np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(self.degrees[0], self.degrees[1]))

    def transform(self, results: dict) -> dict:
        angle = self._random_angle()
        results['rotation_angle'] = angle if angle is not None else 0.0
        if angle is not None:
            results['img'] = rotate_like_torchvision(results['img'], angle, self.interpolation,
                                                     self.fill, self.center)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(degrees={self.degrees}, '
                f'interpolation={self.interpolation!r}, fill={self.fill}, center={self.center}, '
                f'prob={self.prob})')
