import gc
import os
import warnings

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    from mmkd.utils import register_all_modules
    register_all_modules()


def pytest_collection_finish(session):
    """Move what imports and collection created out of the garbage collector's sight.

    mmengine's ``BaseDataset`` calls ``gc.collect()`` whenever it builds a dataset; with torch,
    mmengine and mmpretrain loaded that scan takes ~0.15 s, paid by every dataset a test builds.
    Frozen objects are still freed by reference counting; only the cyclic scan skips them.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(scope='session')
def tiny_cifar_root(tmp_path_factory):
    """A tiny CIFAR-100 and CIFAR-10 (real on-disk format) written once per test session."""
    from mmkd.datasets import write_tiny_cifar
    root = str(tmp_path_factory.mktemp('tiny_cifar'))
    write_tiny_cifar(root, num_classes=100, train_per_class=2, test_per_class=1, seed=0)
    write_tiny_cifar(root, num_classes=10, train_per_class=8, test_per_class=4, seed=1)
    return root
