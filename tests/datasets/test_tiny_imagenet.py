"""Tiny-ImageNet (folder format): both val layouts, ImageFolder order, checks, re-organisation."""
import hashlib
import io
import os
import os.path as osp
import shutil
import zipfile

import numpy as np
import pytest

import mmkd.datasets.archive as archive_module
from mmkd.datasets.archive import safe_extract_zip
from mmkd.datasets.tiny_imagenet import TinyImageNet, reorganize_val, write_tiny_imagenet
from mmkd.registry import DATASETS
from mmkd.utils.errors import DatasetError
from tests.utils import run_tool


@pytest.fixture(scope='module')
def tin_root(tmp_path_factory):
    """A 6-class Tiny-ImageNet (official layout), written once."""
    root = str(tmp_path_factory.mktemp('tin'))
    write_tiny_imagenet(root, num_classes=6, train_per_class=3, val_per_class=2, seed=0)
    return root


def _copy(src_root, dst_root):
    shutil.copytree(
        osp.join(src_root, 'tiny-imagenet-200'), osp.join(dst_root, 'tiny-imagenet-200'))
    return osp.join(dst_root, 'tiny-imagenet-200')


def _listing(ds):
    return [(osp.basename(d['img_path']), d['gt_label']) for d in ds.load_data_list()]


def test_train_and_val_follow_imagefolder(tin_root, tmp_path):
    torchvision = pytest.importorskip('torchvision')
    folder = _copy(tin_root, str(tmp_path))
    train = TinyImageNet(data_root=str(tmp_path), split='train', num_classes=6)
    val = TinyImageNet(data_root=str(tmp_path), split='val', num_classes=6)
    assert len(train) == 18 and len(val) == 12
    wnids = sorted(open(osp.join(folder, 'wnids.txt')).read().split())
    assert train.metainfo['wnids'] == tuple(wnids)
    assert train.metainfo['classes'][0] == 'thing 0'  # first name of words.txt
    ref = torchvision.datasets.ImageFolder(osp.join(folder, 'train'))
    assert ref.classes == wnids
    assert [(d['img_path'], d['gt_label']) for d in train.load_data_list()] == ref.samples
    official = _listing(val)
    # the official val: every annotation kept, labels by sorted wnid
    ann = dict(
        line.split('\t')[:2] for line in open(osp.join(folder, 'val', 'val_annotations.txt')))
    assert sorted(official) == sorted((n, wnids.index(w)) for n, w in ann.items())
    # after the re-organisation the same samples come in the same order, = ImageFolder's
    print(reorganize_val(folder))
    reorganised = TinyImageNet(data_root=str(tmp_path), split='val', num_classes=6)
    assert _listing(reorganised) == official
    ref_val = torchvision.datasets.ImageFolder(osp.join(folder, 'val'))
    assert [(osp.basename(p), y) for p, y in ref_val.samples] == official
    # data_root may also be the tiny-imagenet-200 folder itself
    assert _listing(TinyImageNet(data_root=folder, split='val', num_classes=6)) == official


def test_reorganisation_is_safe_and_idempotent(tin_root, tmp_path):
    folder = _copy(tin_root, str(tmp_path))
    images = sorted(os.listdir(osp.join(folder, 'val', 'images')))
    report = reorganize_val(folder)
    assert 're-organised' in report
    assert sorted(os.listdir(osp.join(folder, 'val_original', 'images'))) == images
    moved = sorted(
        f for d in os.listdir(osp.join(folder, 'val'))
        for f in os.listdir(osp.join(folder, 'val', d)))
    assert moved == images
    snapshot = sorted(os.walk(folder))
    assert 'nothing to do' in reorganize_val(folder)
    assert sorted(os.walk(folder)) == snapshot
    # an interrupted run (between the two renames) is completed by running again
    shutil.rmtree(osp.join(folder, 'val'))
    assert 'run completed' in reorganize_val(folder)
    assert sorted(os.walk(folder)) == snapshot
    # an incomplete re-organised folder is reported, not silently used
    victim = osp.join(folder, 'val', os.listdir(osp.join(folder, 'val'))[0])
    os.remove(osp.join(victim, os.listdir(victim)[0]))
    with pytest.raises(DatasetError, match='delete'):
        reorganize_val(folder)


@pytest.mark.parametrize('bad_line', ['../../evil.JPEG\tn10000000', 'val_0.JPEG\t../x'])
def test_reorganisation_refuses_unsafe_annotations(tin_root, tmp_path, bad_line):
    folder = _copy(tin_root, str(tmp_path))
    ann = osp.join(folder, 'val', 'val_annotations.txt')
    with open(ann, 'a') as f:
        f.write(bad_line + '\t0\t0\t1\t1\n')
    before = sorted(os.walk(folder))
    with pytest.raises(DatasetError, match='not a plain'):
        reorganize_val(folder)
    assert sorted(os.walk(folder)) == before  # nothing changed


def test_reorganisation_tool(tin_root, tmp_path):
    folder = _copy(tin_root, str(tmp_path))
    out = run_tool(
        ['tools/dataset_converters/reorganize_tiny_imagenet_val.py',
         str(tmp_path), '--link']).stdout
    assert 're-organised' in out
    assert osp.isdir(osp.join(folder, 'val_original', 'images'))
    linked = osp.join(folder, 'val', sorted(os.listdir(osp.join(folder, 'val')))[0])
    assert os.stat(osp.join(linked, os.listdir(linked)[0])).st_nlink == 2  # hard links
    assert 'nothing to do' in reorganize_val(folder)


def test_structural_checks(tin_root, tmp_path):
    folder = _copy(tin_root, str(tmp_path))
    root = str(tmp_path)
    with pytest.raises(DatasetError, match='expected 200'):
        TinyImageNet(data_root=root, split='train')  # 6 classes but the default expects 200
    assert len(TinyImageNet(data_root=root, split='train', num_classes=None)) == 18
    # an annotation pointing at a missing file
    first = sorted(os.listdir(osp.join(folder, 'val', 'images')))[0]
    os.rename(osp.join(folder, 'val', 'images', first), osp.join(tmp_path, first))
    with pytest.raises(DatasetError, match=f'{first}, which is missing'):
        TinyImageNet(data_root=root, split='val', num_classes=6)
    os.rename(osp.join(tmp_path, first), osp.join(folder, 'val', 'images', first))
    # a class folder lost in extraction
    wnid = sorted(os.listdir(osp.join(folder, 'train')))[2]
    shutil.rmtree(osp.join(folder, 'train', wnid))
    with pytest.raises(DatasetError, match='extraction is incomplete'):
        TinyImageNet(data_root=root, split='train', num_classes=None)
    # val in neither layout
    shutil.rmtree(osp.join(folder, 'val'))
    os.makedirs(osp.join(folder, 'val', 'stray'))
    os.remove(osp.join(folder, 'wnids.txt'))
    with pytest.raises(DatasetError, match='reorganize_tiny_imagenet_val.py'):
        TinyImageNet(data_root=root, split='val', num_classes=None)
    with pytest.raises(DatasetError, match="split must be 'train' or 'val'"):
        TinyImageNet(data_root=root, split='test')


def test_missing_dataset_names_folder_and_archive(tmp_path):
    with pytest.raises(DatasetError) as e:
        TinyImageNet(data_root=str(tmp_path), split='train', download=False)
    msg = str(e.value)
    assert osp.join(str(tmp_path), 'tiny-imagenet-200') in msg
    assert 'tiny-imagenet-200.zip' in msg and 'http://cs231n.stanford.edu' in msg


def test_download_and_safe_zip(tin_root, tmp_path, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as zf:
        src = osp.join(tin_root, 'tiny-imagenet-200')
        for base, _, files in os.walk(src):
            for name in files:
                path = osp.join(base, name)
                zf.write(path, osp.relpath(path, tin_root))
    blob = buf.getvalue()
    monkeypatch.setattr(TinyImageNet, 'zip_md5', hashlib.md5(blob).hexdigest())

    def fake_download(url, dst, md5, timeout=60.0):
        os.makedirs(osp.dirname(dst), exist_ok=True)
        open(dst, 'wb').write(blob)

    monkeypatch.setattr(archive_module, 'download', fake_download)
    ds = TinyImageNet(data_root=str(tmp_path / 'new'), split='val', num_classes=6)
    assert len(ds) == 12
    # unsafe members are refused before anything is written
    for name, member in (('escape', '../evil.txt'), ('absolute', '/tmp/evil.txt')):
        bad = str(tmp_path / f'{name}.zip')
        with zipfile.ZipFile(bad, 'w') as zf:
            zf.writestr(member, 'x')
        with pytest.raises(DatasetError, match='outside'):
            safe_extract_zip(bad, str(tmp_path / name))
    link = str(tmp_path / 'link.zip')
    with zipfile.ZipFile(link, 'w') as zf:
        info = zipfile.ZipInfo('a/link')
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, '/etc/passwd')
    with pytest.raises(DatasetError, match='link'):
        safe_extract_zip(link, str(tmp_path / 'link'))
    assert not osp.exists(tmp_path / 'link' / 'a')


def test_linear_eval_pipeline_gives_32px(tmp_path):
    from mmengine.config import Config
    from PIL import Image
    root = str(tmp_path)
    write_tiny_imagenet(root, num_classes=200, train_per_class=1, val_per_class=1, seed=1)
    cfg = Config.fromfile('configs/_base_/datasets/tinyimagenet_32px_bs64.py')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        ds = DATASETS.build(dict(loader.dataset, data_root=root))
        assert len(ds) == 200 and len(ds.metainfo['classes']) == 200
        assert tuple(ds[0]['inputs'].shape) == (3, 32, 32)
    # val: Pillow decode + antialiased bilinear Resize(32), as torchvision's ImageFolder pipeline
    ds = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=root))
    path = ds.get_data_info(5)['img_path']
    expected = np.asarray(Image.open(path).convert('RGB').resize((32, 32), Image.BILINEAR))
    bgr = ds[5]['inputs'].permute(1, 2, 0).numpy()
    assert np.array_equal(bgr[..., ::-1], expected)
