"""CIFAR-sized training sets held as one uint8 tensor on the training device (opt-in fast path).

``tools/train.py --device-data`` (or ``benchmark.py --device-data``; :func:`use_device_data`
rewrites a config the same way): the whole training split is one
``[N, H, W, 3]`` uint8 tensor, moved to the training device once (:class:`DeviceDataHook`,
before training). The loader no longer moves pixels: each sample's pipeline is
``SeedAugmentation`` → :class:`~mmkd.datasets.DrawCropFlip` (the crop offset and flip drawn with
the same numpy calls as ``RandomCrop`` + ``RandomFlip``, seeded from (seed, epoch, index)) →
:class:`DropImage` → ``PackInputs`` (label, index, offset, flip). The data preprocessor
(:class:`~mmkd.models.data_preprocessors.BatchAugmentClsDataPreprocessor` with
``device_data=True``) gathers the batch's images from the store by ``sample_idx``, pads (zeros,
or reflection for FFSD's recipe), crops, flips and normalises the whole batch on the device;
HSAKD's 4 rotations then run on the device batch (``RotationBatch``). The images are the
per-sample pipeline's, bit for bit, so the loss trajectory and exact resume are unchanged.
"""
import copy
from typing import List

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS, TRANSFORMS
from mmkd.utils.errors import ConfigError


@TRANSFORMS.register_module()
class DropImage(BaseTransform):
    """Remove the sample's pixels (``img``) from the pipeline's results: the training device
    holds them (:class:`DeviceDataHook`); ``img_shape`` stays."""

    def transform(self, results: dict) -> dict:
        results.pop('img', None)
        return results


def image_store(dataset) -> torch.Tensor:
    """Every image of ``dataset`` (``get_data_info(i)['img']``, uint8 ``H x W x C``) as one
    ``[N, H, W, C]`` uint8 tensor, in index order (``sample_idx`` indexes it)."""
    if not hasattr(dataset, 'get_data_info'):
        raise ConfigError(f'--device-data: the training dataset ({type(dataset).__name__}) '
                          'gives no get_data_info(i) to read its images from; drop '
                          '--device-data (or use --device-aug).')
    images: List[np.ndarray] = []
    for i in range(len(dataset)):
        img = dataset.get_data_info(i).get('img')
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or (
                images and img.shape != images[0].shape):
            raise ConfigError(
                f'--device-data holds the training set as one uint8 tensor; sample {i} of '
                f'{type(dataset).__name__} is not a uint8 H x W x C image of the shape of the '
                f'others (got {getattr(img, "dtype", type(img).__name__)} '
                f'{getattr(img, "shape", "")}). Drop --device-data for this dataset.')
        images.append(img)
    if not images:
        raise ConfigError('--device-data: the training dataset is empty.')
    return torch.from_numpy(np.stack(images))


@HOOKS.register_module()
class DeviceDataHook(Hook):
    """Before training, hand the data preprocessor the training set as one uint8 tensor on the
    model's device (see the module docstring). Needs a
    ``BatchAugmentClsDataPreprocessor(device_data=True)``."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        from mmkd.models.data_preprocessors import BatchAugmentClsDataPreprocessor
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        pre = getattr(model, 'data_preprocessor', None)
        if not isinstance(pre, BatchAugmentClsDataPreprocessor) or not pre.device_data:
            raise ConfigError("DeviceDataHook needs model.data_preprocessor=dict(type="
                              "'BatchAugmentClsDataPreprocessor', device_data=True, ...); use "
                              'tools/train.py --device-data, which sets both.')
        store = image_store(runner.train_loop.dataloader.dataset)
        pre.set_image_store(store.to(pre.device))


def _train_datasets(dataset):
    found = []
    while isinstance(dataset, dict):
        if 'pipeline' in dataset:
            found.append(dataset)
        dataset = dataset.get('dataset')
    return found


def use_device_data(cfg) -> None:
    """Rewrite ``cfg`` for the device-held training set: ``--device-aug``'s rewrite (crop and
    flip drawn in the loader, applied on the device) + :class:`DropImage` before ``PackInputs``
    + ``device_data=True`` on the preprocessor + :class:`DeviceDataHook`."""
    from mmkd.utils.fast_path import use_device_augmentation
    top = cfg.train_dataloader.get('dataset')
    datasets = _train_datasets(top)
    if len(datasets) != 1 or datasets[0] is not top or isinstance(top.get('dataset'), dict):
        raise ConfigError('--device-data needs the training pipeline on the dataset the loader '
                          'indexes (no wrapper around it: its indices would not address the '
                          'device-held images); drop --device-data for this config.')
    use_device_augmentation(cfg)
    pipeline = list(datasets[0]['pipeline'])
    types = [t.get('type') for t in pipeline]
    unknown = [t for t in types if t not in ('SeedAugmentation', 'DrawCropFlip', 'PackInputs')]
    if unknown:
        raise ConfigError(f'--device-data: the training pipeline also runs {", ".join(unknown)}'
                          ', which needs the pixels in the loader; drop --device-data (or use '
                          '--device-aug).')
    pack = types.index('PackInputs')
    if 'DropImage' not in types:
        pipeline.insert(pack, dict(type='DropImage'))
    datasets[0]['pipeline'] = pipeline
    preprocessor = copy.deepcopy(cfg.model.data_preprocessor)
    preprocessor['device_data'] = True
    cfg.model.data_preprocessor = preprocessor
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(isinstance(h, dict) and h.get('type') == 'DeviceDataHook' for h in hooks):
        hooks.append(dict(type='DeviceDataHook'))
    cfg.custom_hooks = hooks
