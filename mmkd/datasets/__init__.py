"""Datasets, dataset wrappers, samplers and transforms."""
from .batch_augment_params import DrawCropFlip, PadBorder
from .cifar import CIFAR10, CIFAR100
from .crd_sampler import CRDInstanceSampleDataset
from .device_data import DeviceDataHook, DropImage, image_store, use_device_data
from .digits import Digits
from .few_shot import ClassBalancedSubset
from .random_rotation import RandomRotation
from .reproducible import EpochSeededSampler, SeedAugmentation
from .stl10 import STL10, write_tiny_stl10
from .tiny_cifar import write_tiny_cifar
from .tiny_imagenet import TinyImageNet, write_tiny_imagenet
from .wrapper_utils import ClassificationDatasetWrapper

__all__ = [
    'DrawCropFlip', 'PadBorder', 'DeviceDataHook', 'DropImage', 'image_store', 'use_device_data',
    'CIFAR10', 'CIFAR100', 'CRDInstanceSampleDataset', 'Digits', 'ClassBalancedSubset',
    'RandomRotation', 'EpochSeededSampler', 'SeedAugmentation', 'STL10', 'write_tiny_stl10',
    'write_tiny_cifar', 'TinyImageNet', 'write_tiny_imagenet', 'ClassificationDatasetWrapper'
]
