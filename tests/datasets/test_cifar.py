"""CIFAR-10/100 in the real on-disk format: reading, structural checks, download and extraction."""
import io
import os
import os.path as osp
import pickle
import shutil
import tarfile

import numpy as np
import pytest

import mmkd.datasets.archive as archive_module
from mmkd.datasets import CIFAR10, CIFAR100, Digits, write_tiny_cifar
from mmkd.datasets.archive import file_md5
from mmkd.utils.errors import DatasetError


def test_reads_generated_cifar100(tmp_path):
    folder = write_tiny_cifar(str(tmp_path), num_classes=100, train_per_class=3, test_per_class=1)
    with open(osp.join(folder, 'train'), 'rb') as f:
        raw = pickle.load(f, encoding='latin1')
    assert set(raw) >= {'data', 'fine_labels', 'coarse_labels', 'filenames'}  # str keys
    ds = CIFAR100(data_root=str(tmp_path), split='train', download=False)
    assert len(ds) == 300
    item = ds.get_data_info(7)
    # the pickle stores CHW planes; the dataset gives HWC RGB
    expected = raw['data'][7].reshape(3, 32, 32).transpose(1, 2, 0)
    assert item['img'].shape == (32, 32, 3) and item['img'].dtype == np.uint8
    assert np.array_equal(item['img'], expected)
    assert item['gt_label'] == raw['fine_labels'][7]
    assert len(CIFAR100(data_root=str(tmp_path), split='test', download=False)) == 100
    assert ds.metainfo['classes'][0] == 'apple'


def test_reads_generated_cifar10(tmp_path):
    write_tiny_cifar(str(tmp_path), num_classes=10, train_per_class=5, test_per_class=2)
    train = CIFAR10(data_root=str(tmp_path), split='train', download=False)
    assert len(train) == 50 and sorted(set(train.get_gt_labels())) == list(range(10))
    assert len(CIFAR10(data_root=str(tmp_path), split='test', download=False)) == 20


def test_missing_dataset_offline_names_folder_and_archive(tmp_path):
    with pytest.raises(DatasetError) as info:
        CIFAR100(data_root=str(tmp_path / 'cifar100'), download=False)
    msg = str(info.value)
    assert 'cifar-100-python.tar.gz' in msg and str(tmp_path / 'cifar100') in msg


def test_download_failure_is_one_clear_message(tmp_path, monkeypatch):

    def offline(url, dst, md5, timeout=60.0):
        raise OSError('Network is unreachable')

    monkeypatch.setattr(archive_module, 'download', offline)
    with pytest.raises(DatasetError, match='Could not download .*cifar-100-python.tar.gz'):
        CIFAR100(data_root=str(tmp_path), download=True)


def _make_archive(src_root: str, path: str, extra_member: str = None) -> str:
    with tarfile.open(path, 'w:gz') as tar:
        tar.add(osp.join(src_root, 'cifar-100-python'), arcname='cifar-100-python')
        if extra_member:
            data = b'evil'
            info = tarfile.TarInfo(extra_member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_local_archive_is_verified_and_extracted(tmp_path, monkeypatch):
    write_tiny_cifar(str(tmp_path / 'src'), train_per_class=1, test_per_class=1)
    root = tmp_path / 'data'
    root.mkdir()
    archive = _make_archive(str(tmp_path / 'src'), str(root / 'cifar-100-python.tar.gz'))
    monkeypatch.setattr(CIFAR100, 'tgz_md5', file_md5(archive))
    ds = CIFAR100(data_root=str(root), split='train', download=False)
    assert len(ds) == 100


def test_tampered_archive_is_refused(tmp_path):
    write_tiny_cifar(str(tmp_path / 'src'), train_per_class=1, test_per_class=1)
    root = tmp_path / 'data'
    root.mkdir()
    _make_archive(str(tmp_path / 'src'), str(root / 'cifar-100-python.tar.gz'))
    with pytest.raises(DatasetError, match='published checksum'):
        CIFAR100(data_root=str(root), download=False)
    assert not (root / 'cifar-100-python').exists()


def test_archive_escaping_the_folder_is_not_extracted(tmp_path, monkeypatch):
    write_tiny_cifar(str(tmp_path / 'src'), train_per_class=1, test_per_class=1)
    root = tmp_path / 'data'
    root.mkdir()
    archive = _make_archive(
        str(tmp_path / 'src'), str(root / 'cifar-100-python.tar.gz'), extra_member='../escaped.txt')
    monkeypatch.setattr(CIFAR100, 'tgz_md5', file_md5(archive))
    with pytest.raises(DatasetError, match='outside'):
        CIFAR100(data_root=str(root), download=False)
    assert not (tmp_path / 'escaped.txt').exists()
    assert not (root / 'cifar-100-python').exists()


@pytest.mark.parametrize('damage, message', [
    ('truncate', 'cannot be read'),
    ('shape', r"must be a uint8 array of shape \(N, 3072\)"),
    ('labels', r'labels must lie in \[0, 100\)'),
    ('keys', "expected the keys 'data' and 'fine_labels'"),
])
def test_corrupted_files_stop_with_a_message(tmp_path, damage, message):
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    path = osp.join(folder, 'train')
    with open(path, 'rb') as f:
        entry = pickle.load(f, encoding='latin1')
    if damage == 'truncate':
        with open(path, 'r+b') as f:
            f.truncate(100)
    else:
        if damage == 'shape':
            entry['data'] = entry['data'][:, :100]
        elif damage == 'labels':
            entry['fine_labels'][0] = 100
        elif damage == 'keys':
            del entry['fine_labels']
        with open(path, 'wb') as f:
            pickle.dump(entry, f)
    with pytest.raises(DatasetError, match=message):
        CIFAR100(data_root=str(tmp_path), split='train', download=False)


def test_missing_single_file(tmp_path):
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    os.remove(osp.join(folder, 'meta'))
    with pytest.raises(DatasetError, match='lacks meta'):
        CIFAR100(data_root=str(tmp_path), split='train', download=False)
    shutil.rmtree(folder)


def test_digits_ship_with_scikit_learn():
    train, test = Digits(split='train'), Digits(split='test')
    assert (len(train), len(test)) == (1437, 360)
    item = test.get_data_info(0)
    assert item['img'].shape == (32, 32, 3) and item['img'].dtype == np.uint8
    assert sorted(set(train.get_gt_labels())) == list(range(10))
