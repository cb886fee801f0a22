from .cifar import CIFAR10, CIFAR100
from .crd_sampler import CRDInstanceSampleDataset
from .digits import Digits
from .tiny_cifar import write_tiny_cifar

__all__ = ['CIFAR10', 'CIFAR100', 'CRDInstanceSampleDataset', 'Digits', 'write_tiny_cifar']
