import os
import warnings

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    from mmkd.utils import register_all_modules
    register_all_modules()


@pytest.fixture(scope='session')
def tiny_cifar_root(tmp_path_factory):
    """A tiny CIFAR-100 and CIFAR-10 (real on-disk format) written once per test session."""
    from mmkd.datasets import write_tiny_cifar
    root = str(tmp_path_factory.mktemp('tiny_cifar'))
    write_tiny_cifar(root, num_classes=100, train_per_class=2, test_per_class=1, seed=0)
    write_tiny_cifar(root, num_classes=10, train_per_class=8, test_per_class=4, seed=1)
    return root
