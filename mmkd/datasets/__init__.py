"""Datasets and dataset wrappers; every module in this folder is imported (registration)."""
from mmkd.utils.import_all import import_submodules

from .cifar import CIFAR10, CIFAR100
from .crd_sampler import CRDInstanceSampleDataset
from .digits import Digits
from .tiny_cifar import write_tiny_cifar

import_submodules(__name__)

__all__ = ['CIFAR10', 'CIFAR100', 'CRDInstanceSampleDataset', 'Digits', 'write_tiny_cifar']
