"""STL-10 in its binary format: orientation, labels, structural checks, download, pipeline."""
import io
import os
import os.path as osp
import tarfile

import numpy as np
import pytest

import mmkd.datasets.archive as archive_module
from mmkd.datasets.stl10 import STL10, STL10_CATEGORIES, stl10_to_bytes, write_tiny_stl10
from mmkd.registry import DATASETS
from mmkd.utils.errors import DatasetError


@pytest.fixture(scope='module')
def stl_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('stl10'))
    write_tiny_stl10(root, train_per_class=3, test_per_class=2, seed=0)
    return root


def test_reads_generated_dataset(stl_root):
    train = STL10(data_root=stl_root, split='train', download=False)
    test = STL10(data_root=stl_root, split='test', download=False)
    assert len(train) == 30 and len(test) == 20
    assert train.metainfo['classes'] == STL10_CATEGORIES
    labels = train.get_gt_labels()
    assert sorted(set(labels.tolist())) == list(range(10))
    assert np.bincount(labels).tolist() == [3] * 10
    info = train.get_data_info(0)
    assert info['img'].shape == (96, 96, 3) and info['img'].dtype == np.uint8


def test_column_major_layout_and_labels_by_hand(tmp_path):
    """Bytes written exactly as the official files: channel planes, each column-major."""
    folder = tmp_path / 'stl10_binary'
    folder.mkdir()
    raw = np.zeros((2, 3, 96, 96), np.uint8)  # raw[n, c, w, h]
    raw[0, 0, 5, 1] = 200  # image 0, red, row 1, column 5
    raw[0, 2, 0, 90] = 77  # image 0, blue, row 90, column 0
    raw[1, 1, 95, 95] = 9  # image 1, green, bottom-right
    for split in ('train', 'test'):
        (folder / f'{split}_X.bin').write_bytes(raw.tobytes())
        (folder / f'{split}_y.bin').write_bytes(bytes([1, 10]))  # labels 1..10 on disk
    (folder / 'class_names.txt').write_text('\n'.join(STL10_CATEGORIES) + '\n')
    ds = STL10(data_root=str(tmp_path), split='train', download=False)
    img0, img1 = ds.get_data_info(0)['img'], ds.get_data_info(1)['img']
    assert img0[1, 5, 0] == 200 and img0[5, 1, 0] == 0
    assert img0[90, 0, 2] == 77
    assert img1[95, 95, 1] == 9
    assert int(img0.sum()) == 277
    assert ds.get_gt_labels().tolist() == [0, 9]
    # the writer is the exact inverse
    assert stl10_to_bytes(np.stack([img0, img1])) == raw.tobytes()


def test_same_as_torchvision(stl_root):
    """torchvision's STL10 reader (md5 check bypassed: the files are generated) agrees."""
    torchvision = pytest.importorskip('torchvision')

    class Unchecked(torchvision.datasets.STL10):

        def _check_integrity(self):
            return True

    ours = STL10(data_root=stl_root, split='test', download=False)
    theirs = Unchecked(stl_root, split='test')
    assert len(ours) == len(theirs)
    for i in range(len(ours)):
        img, label = theirs[i]
        info = ours.get_data_info(i)
        assert np.array_equal(np.asarray(img), info['img'])
        assert label == info['gt_label']


def _copy(src_root, dst_root):
    import shutil
    shutil.copytree(osp.join(src_root, 'stl10_binary'), osp.join(dst_root, 'stl10_binary'))
    return osp.join(dst_root, 'stl10_binary')


@pytest.mark.parametrize('damage, message', [
    ('truncate_x', 'not a multiple of 27648'),
    ('extra_label', 'labels'),
    ('label_zero', 'labels must lie in [1, 10]'),
    ('label_eleven', 'labels must lie in [1, 10]'),
    ('class_names', 'lists 3 class names'),
])
def test_structural_checks(stl_root, tmp_path, damage, message):
    folder = _copy(stl_root, str(tmp_path))
    x, y = osp.join(folder, 'train_X.bin'), osp.join(folder, 'train_y.bin')
    if damage == 'truncate_x':
        with open(x, 'r+b') as f:
            f.truncate(os.path.getsize(x) - 100)
    elif damage == 'extra_label':
        with open(y, 'ab') as f:
            f.write(bytes([3]))
    elif damage in ('label_zero', 'label_eleven'):
        data = bytearray(open(y, 'rb').read())
        data[4] = 0 if damage == 'label_zero' else 11
        open(y, 'wb').write(bytes(data))
    else:
        open(osp.join(folder, 'class_names.txt'), 'w').write('a\nb\nc\n')
    with pytest.raises(DatasetError, match=message.replace('[', r'\[').replace(']', r'\]')):
        STL10(data_root=str(tmp_path), split='train', download=False)


def test_missing_dataset_names_folder_and_archive(tmp_path):
    with pytest.raises(DatasetError) as e:
        STL10(data_root=str(tmp_path), split='train', download=False)
    msg = str(e.value)
    assert osp.join(str(tmp_path), 'stl10_binary') in msg
    assert 'stl10_binary.tar.gz' in msg and 'http://ai.stanford.edu' in msg
    with pytest.raises(DatasetError, match="split must be 'train' or 'test'"):
        STL10(data_root=str(tmp_path), split='unlabeled')


def test_download_verifies_md5_and_extracts(stl_root, tmp_path, monkeypatch):
    """The download path with a local archive standing in for the server."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz') as tar:
        tar.add(osp.join(stl_root, 'stl10_binary'), arcname='stl10_binary')
    blob = buf.getvalue()
    import hashlib
    monkeypatch.setattr(STL10, 'tgz_md5', hashlib.md5(blob).hexdigest())
    calls = []

    def fake_download(url, dst, md5, timeout=60.0):
        calls.append(url)
        os.makedirs(osp.dirname(dst), exist_ok=True)
        open(dst, 'wb').write(blob)

    monkeypatch.setattr(archive_module, 'download', fake_download)
    root = str(tmp_path / 'new')
    ds = STL10(data_root=root, split='test')
    assert calls == [STL10.url] and len(ds) == 20
    # a tampered archive is refused by its md5
    root2 = str(tmp_path / 'bad')
    os.makedirs(root2)
    open(osp.join(root2, 'stl10_binary.tar.gz'), 'wb').write(blob[:-10] + b'0' * 10)
    with pytest.raises(DatasetError, match='md5'):
        STL10(data_root=root2, split='test')


def test_linear_eval_pipeline_gives_32px(stl_root):
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/datasets/stl10_32px_bs64.py')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        dataset_cfg = dict(loader.dataset, data_root=stl_root)
        ds = DATASETS.build(dataset_cfg)
        item = ds[0]
        assert tuple(item['inputs'].shape) == (3, 32, 32)
    # the test-time resize is Pillow's antialiased bilinear, like torchvision's Resize(32)
    from PIL import Image
    ds = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=stl_root))
    img = ds.get_data_info(3)['img']
    expected = np.asarray(Image.fromarray(img).resize((32, 32), Image.BILINEAR))
    assert np.array_equal(ds[3]['inputs'].permute(1, 2, 0).numpy(), expected)
