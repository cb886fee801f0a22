"""No file mmkd reads can run code: checkpoints behind URLs / model-zoo names, and dataset pickles.

Every planted payload writes a marker file when unpickled. Each route is driven through the path a
user takes (mmengine's ``CheckpointLoader`` and ``PretrainedInit``, ``tools/train.py`` with
``load_from`` / ``--resume`` / ``init_cfg`` / ``model.teacher_ckpt``, the CIFAR dataset as the
Runner builds it); the marker must never appear and the message must say what happened. The
``*_payload_is_live`` controls show that the same files DO run code through the stock loaders
(mmengine's ``load_from_http``, ``pickle.load``), so a passing test means the route is closed.

Nothing here touches the network: URLs point at files planted in a temporary ``$TORCH_HOME`` hub
cache (used offline, as torch.hub does) or at a closed local port.
"""
import hashlib
import os
import os.path as osp
import pickle
import shutil
import struct

import numpy as np
import pytest
import torch
from mmengine.runner import checkpoint as mm_checkpoint

from mmkd.datasets import write_tiny_cifar
from mmkd.registry import DATASETS
from mmkd.utils.checkpoint import (CorruptCheckpointError, UnsafeCheckpointError, resolve_remote,
                                   safe_load)
from mmkd.utils.errors import CheckpointError, DatasetError
from mmkd.utils.safe_unpickle import load_plain_pickle
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import ROOT, free_port, run_tool

URL = 'https://download.example.invalid/mmkd/resnet8_cifar100.pth'


class OpenPayload:
    """Unpickling this creates the marker file (stands in for arbitrary code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


class ExecPayload(OpenPayload):

    def __reduce__(self):
        return (exec, (f'open({self.marker!r}, "w").write("code ran")', ))


class SystemPayload(OpenPayload):

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def evil_checkpoint(path, marker, payload=OpenPayload):
    """An mmengine-style checkpoint whose ``meta`` hides a payload."""
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': {'x': payload(marker)}}, str(path))
    return str(path)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty ``$TORCH_HOME``; returns the hub's checkpoint cache folder."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    return cache


def sha256(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


# ------------------------------------------------------------------ non-local checkpoint schemes
def test_cached_url_payload_is_live_through_stock_mmengine_loader(hub, tmp_path):
    """Control: the planted file runs code through mmengine's own http loader (torch.hub)."""
    marker = tmp_path / 'code_ran'
    evil_checkpoint(hub / osp.basename(URL), marker)
    mm_checkpoint.load_from_http(URL, map_location='cpu')
    assert marker.exists()


def test_cached_url_is_refused_through_mmengine_loaders(hub, tmp_path):
    marker = tmp_path / 'code_ran'
    evil_checkpoint(hub / osp.basename(URL), marker)
    with pytest.raises(UnsafeCheckpointError, match=r'pickles io\.open.*trust_checkpoint'):
        mm_checkpoint._load_checkpoint(URL, map_location='cpu')
    from mmengine.model.weight_init import PretrainedInit
    with pytest.raises(UnsafeCheckpointError):
        PretrainedInit(checkpoint=URL)(torch.nn.Linear(1, 1))
    with pytest.raises(UnsafeCheckpointError):
        PretrainedInit(checkpoint=URL, prefix='backbone.')(torch.nn.Linear(1, 1))
    assert not marker.exists(), 'code in the cached checkpoint ran'


@pytest.mark.parametrize('name', [
    'torchvision://resnet18', 'modelzoo://resnet18', 'open-mmlab://vgg16_caffe',
    'openmmlab://vgg16_caffe', 'mmcls://vgg11'
])
def test_model_zoo_names_verify_the_hash_in_the_cached_name(hub, tmp_path, name):
    """A payload planted under the zoo's file name fails the SHA-256 prefix in that name."""
    url, _, _ = resolve_remote(name)
    cached = hub / osp.basename(url)
    marker = tmp_path / 'code_ran'
    evil_checkpoint(cached, marker, payload=ExecPayload)
    with pytest.raises(CorruptCheckpointError, match='does not match the SHA-256 prefix') as e:
        mm_checkpoint._load_checkpoint(name, map_location='cpu')
    assert str(cached) in str(e.value) and 'Delete it' in str(e.value)
    assert not marker.exists()


def test_hash_checked_file_still_goes_through_the_allow_list(hub, tmp_path):
    """Verified bytes are not trusted bytes: a payload whose name carries its own hash."""
    marker = tmp_path / 'code_ran'
    plain = evil_checkpoint(tmp_path / 'evil.pth', marker, payload=SystemPayload)
    digest = sha256(plain)[:8]
    shutil.copy(plain, hub / f'evil-{digest}.pth')
    with pytest.raises(UnsafeCheckpointError, match=r'pickles posix\.system'):
        safe_load(f'https://example.invalid/evil-{digest}.pth')
    assert not marker.exists()


def test_good_cached_files_load_and_mmcls_names_are_post_processed(hub, tmp_path, monkeypatch):
    state = {'backbone.conv.weight': torch.arange(4.).reshape(2, 2), 'head.fc.bias': torch.ones(2)}
    src = tmp_path / 'good.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 3}}, str(src))
    digest = sha256(src)[:10]
    name = f'tiny_cls-{digest}.pth'
    shutil.copy(src, hub / name)
    url = f'https://download.example.invalid/zoo/{name}'
    loaded = mm_checkpoint._load_checkpoint(url, map_location='cpu')
    assert torch.equal(loaded['state_dict']['backbone.conv.weight'], state['backbone.conv.weight'])
    assert loaded['meta'] == {'epoch': 3}
    # mmcls:// keeps mmengine's semantics: only the backbone, without its prefix
    monkeypatch.setattr(mm_checkpoint, 'get_mmcls_models', lambda: {'tiny': url})
    loaded = mm_checkpoint._load_checkpoint('mmcls://tiny', map_location='cpu')
    assert list(loaded['state_dict']) == ['conv.weight']


def closed_port_url() -> str:
    """A URL on a local port nobody listens on (connection refused at once, no network)."""
    return f'http://127.0.0.1:{free_port()}/mmkd/not_cached.pth'


def test_url_not_cached_offline_is_one_message(hub):
    url = closed_port_url()
    with pytest.raises(CheckpointError) as e:
        mm_checkpoint._load_checkpoint(url, map_location='cpu')
    message = str(e.value)
    assert message.startswith(f'Could not download {url}')
    assert str(hub / 'not_cached.pth') in message and '\n' not in message
    assert not (hub / 'not_cached.pth').exists()


@pytest.mark.parametrize('name', [
    'pavi://model/1', 's3://bucket/ckpt.pth', 'open-mmlab:s3://bucket/ckpt.pth',
    'petrel://bucket/c.pth'
])
def test_unverifiable_storage_schemes_are_refused(name):
    with pytest.raises(CheckpointError, match='Copy the file to a local path'):
        mm_checkpoint._load_checkpoint(name, map_location='cpu')


def test_unknown_zoo_name_suggests_close_names():
    with pytest.raises(CheckpointError, match='Did you mean: torchvision://resnet18'):
        safe_load('torchvision://resnet1')


def test_stock_local_loader_is_replaced_for_every_scheme():
    """Every scheme mmengine knows resolves to one of mmkd's loaders."""
    for path in ('a.pth', '/abs/a.pth', URL, 'http://x/a.pth', 'torchvision://resnet18',
                 'modelzoo://resnet18', 'open-mmlab://x', 'openmmlab://x', 'mmcls://x', 'pavi://x',
                 's3://x', 'open-mmlab:s3://x', 'petrel://x'):
        loader = mm_checkpoint.CheckpointLoader._get_checkpoint_loader(path)
        assert loader.__module__ == 'mmkd.utils.checkpoint', (path, loader)
    stock = {
        p: f
        for p, f in mm_checkpoint.CheckpointLoader._schemes.items()
        if f.__module__ != 'mmkd.utils.checkpoint'
    }
    assert not stock, f'schemes still loaded by mmengine itself: {stock}'


def _url_config(tmp_path, url):
    config = tmp_path / 'pretrained_url.py'
    config.write_text(f"_base_ = [{osp.join(ROOT, 'configs/baselines/resnet8_cifar100.py')!r}]\n"
                      f"model = dict(init_cfg=dict(type='Pretrained', checkpoint={url!r}))\n")
    return str(config)


@pytest.mark.slow
@pytest.mark.parametrize('route',
                         ['load_from', 'resume', 'init_cfg', 'teacher_ckpt', 'torchvision'])
def test_train_tool_refuses_payload_behind_url(tiny_cifar_root, tmp_path, route):
    """``tools/train.py`` with every way a URL reaches a checkpoint loader."""
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    marker = tmp_path / 'code_ran'
    url = 'torchvision://resnet18' if route == 'torchvision' else URL
    planted = 'resnet18-f37072fd.pth' if route == 'torchvision' else osp.basename(URL)
    evil_checkpoint(cache / planted, marker)
    config = 'configs/baselines/resnet8_cifar100.py'
    opts = TINY + data_opts(tiny_cifar_root) + ['train_cfg.max_epochs=1']
    extra = []
    if route in ('load_from', 'torchvision'):
        opts.append(f'load_from={url}')
    elif route == 'resume':
        extra = ['--resume', url]
    elif route == 'init_cfg':
        config = _url_config(tmp_path, url)
    else:
        config = 'configs/kd/resnet56_resnet20.py'
        opts += [
            'model.teacher=configs/_base_/models/resnet8.py',
            'model.student=configs/_base_/models/resnet8.py', f'model.teacher_ckpt={url}'
        ]
    proc = run_tool([
        'tools/train.py', config, '--work-dir',
        str(tmp_path / 'w'), *extra, '--cfg-options', *opts
    ],
                    check=False,
                    env={'TORCH_HOME': str(tmp_path / 'torch_home')})
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    message = proc.stdout.split('mmkd error: ', 1)[1].strip()
    assert len(message.splitlines()) == 1
    if route == 'torchvision':
        assert 'does not match the SHA-256 prefix f37072fd' in message
    else:
        assert message.startswith(f'Refused to load {cache / planted}: it pickles io.open')
    assert not marker.exists(), f'code in the checkpoint behind {route} ran'
    assert not osp.exists(tmp_path / 'w' / 'epoch_1.pth')


# ------------------------------------------------------------------ dataset pickles
def _py2_str(value) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode('latin1')
    if len(raw) < 256:
        return b'U' + bytes([len(raw)]) + raw  # SHORT_BINSTRING
    return b'T' + struct.pack('<i', len(raw)) + raw  # BINSTRING


def _py2_int(n: int) -> bytes:
    return b'K' + bytes([n]) if 0 <= n < 256 else b'J' + struct.pack('<i', n)


def py2_cifar_batch(data: np.ndarray, labels, label_key: str) -> bytes:
    """A batch byte-for-byte in the form of the official files (Python 2 cPickle, protocol 2:
    ``numpy.core.multiarray._reconstruct`` of a uint8 array, py2 ``str`` keys, int lists)."""
    out = b'\x80\x02}(' + _py2_str('batch_label') + _py2_str('training batch 1 of 1')
    out += _py2_str(label_key) + b'](' + b''.join(_py2_int(int(v)) for v in labels) + b'e'
    out += (
        _py2_str('data') + b'cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n' +
        _py2_int(0) + b'\x85' + _py2_str('b') + b'\x87R')
    out += (b'(' + _py2_int(1) + _py2_int(data.shape[0]) + _py2_int(data.shape[1]) + b'\x86' +
            b'cnumpy\ndtype\n' + _py2_str('u1') + _py2_int(0) + _py2_int(1) + b'\x87R' + b'(' +
            _py2_int(3) + _py2_str('|') + b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff' + _py2_int(0) +
            b'tb\x89' + _py2_str(data.tobytes()) + b'tb')
    out += _py2_str('filenames') + b'](' + b''.join(
        _py2_str(f'img_{i}.png') for i in range(len(labels))) + b'eu.'
    return out


def test_official_python2_format_is_admitted(tmp_path):
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, size=(4, 3072), dtype=np.uint8)
    labels = [0, 99, 5, 42]
    with open(osp.join(folder, 'train'), 'wb') as f:
        f.write(py2_cifar_batch(data, labels, 'fine_labels'))
    assert pickle.loads(
        open(osp.join(folder, 'train'), 'rb').read(), encoding='latin1'
    )['fine_labels'] == labels  # the stock reader agrees on what the file holds
    dataset = DATASETS.build(
        dict(type='CIFAR100', data_root=str(tmp_path), split='train', pipeline=[]))
    assert [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))] == labels
    expected = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    for i in range(4):
        np.testing.assert_array_equal(dataset.get_data_info(i)['img'], expected[i])


def _plant_dataset_payload(folder, name, marker, kind):
    path = osp.join(folder, name)
    entry = load_plain_pickle(path)
    if kind == 'open':
        entry['extra'] = OpenPayload(marker)
    elif kind == 'exec':
        entry['batch_label'] = ExecPayload(marker)
    elif kind == 'system':
        entry['filenames'][0] = SystemPayload(marker)
    elif kind == 'object_array':  # hidden inside a numpy object array: numpy unpickles elements
        entry['data'] = np.array([OpenPayload(marker)], dtype=object)
    elif kind == 'protocol5':
        with open(path, 'wb') as f:
            pickle.dump({**entry, 'x': ExecPayload(marker)}, f, protocol=5)
        return path
    with open(path, 'wb') as f:
        pickle.dump(entry, f, protocol=2)
    return path


def test_dataset_payload_is_live_through_pickle_load(tmp_path):
    """Control: the planted CIFAR file runs code through a plain ``pickle.load``."""
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    path = _plant_dataset_payload(folder, 'train', tmp_path / 'code_ran', 'exec')
    with open(path, 'rb') as f:
        pickle.load(f, encoding='latin1')
    assert (tmp_path / 'code_ran').exists()


@pytest.mark.parametrize('kind,global_name', [('open', 'io.open'), ('exec', 'builtins.exec'),
                                              ('system', 'posix.system'),
                                              ('object_array', 'io.open'),
                                              ('protocol5', 'builtins.exec')])
@pytest.mark.parametrize('dataset', ['CIFAR100', 'CIFAR10'])
def test_dataset_file_with_payload_is_refused(tmp_path, dataset, kind, global_name):
    num_classes = 100 if dataset == 'CIFAR100' else 10
    folder = write_tiny_cifar(
        str(tmp_path), num_classes=num_classes, train_per_class=1, test_per_class=1)
    name = 'train' if dataset == 'CIFAR100' else 'data_batch_3'
    marker = tmp_path / 'code_ran'
    path = _plant_dataset_payload(folder, name, marker, kind)
    with pytest.raises(DatasetError) as e:
        DATASETS.build(dict(type=dataset, data_root=str(tmp_path), split='train', pipeline=[]))
    message = str(e.value)
    assert message.startswith(f'Refused to read {path}: it pickles {global_name},')
    assert 'Delete the dataset folder' in message and '\n' not in message
    assert not marker.exists(), 'code in the dataset file ran'


@pytest.mark.slow
def test_train_tool_refuses_dataset_payload(tmp_path):
    folder = write_tiny_cifar(str(tmp_path / 'data'), train_per_class=1, test_per_class=1)
    marker = tmp_path / 'code_ran'
    path = _plant_dataset_payload(folder, 'train', marker, 'exec')
    proc = run_tool(
        [
            'tools/train.py', 'configs/baselines/resnet8_cifar100.py', '--work-dir',
            str(tmp_path / 'w'), '--cfg-options'
        ] + TINY + data_opts(str(tmp_path / 'data')),
        check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    assert f'mmkd error: Refused to read {path}: it pickles builtins.exec' in proc.stdout
    assert not marker.exists(), 'code in the dataset file ran during training set-up'


# ------------------------------------------------------------------ files that are not checkpoints
def _zip_checkpoint_with_flipped_pickle(tmp_path):
    path = tmp_path / 'flipped.pth'
    torch.save({'state_dict': {'conv.weight': torch.ones(2)}}, str(path))
    data = bytearray(path.read_bytes())
    key = data.find(b'conv.weight')  # inside data.pkl: still a valid pickle, other key
    data[key] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def bad_checkpoint_files(tmp_path):
    """name -> (path, fragment of the message): every file the §5 table lists."""
    files = {}
    files['random'] = tmp_path / 'random.pth'
    files['random'].write_bytes(np.random.default_rng(0).bytes(4096))
    files['text'] = tmp_path / 'text.pth'
    files['text'].write_text('model: resnet8\nepoch: 3\n')
    files['plain_pickle'] = tmp_path / 'plain.pth'
    files['plain_pickle'].write_bytes(pickle.dumps({'state_dict': {'w': [1.0]}}))
    files['npy'] = tmp_path / 'weights.npy'
    np.save(str(files['npy']), np.ones(3, dtype=np.float32))
    files['flipped'] = _zip_checkpoint_with_flipped_pickle(tmp_path)
    files['truncated'] = tmp_path / 'truncated.pth'
    torch.save({'state_dict': {'w': torch.ones(100)}}, str(files['truncated']))
    files['truncated'].write_bytes(files['truncated'].read_bytes()[:300])
    files['list'] = tmp_path / 'list.pth'
    torch.save([torch.ones(1), torch.zeros(1)], str(files['list']))
    files['strings'] = tmp_path / 'strings.pth'
    torch.save({'state_dict': {
        'conv.weight': 'ones',
        'conv.bias': torch.ones(1)
    }}, str(files['strings']))
    return files


DETAILS = {
    'random': 'not a pickle',
    'text': 'a text file',
    'plain_pickle': 'a plain pickle',
    'npy': 'a NumPy .npy file',
    'flipped': 'fails its CRC-32 check',
    'truncated': 'incomplete zip archive',
    'list': 'it holds a list, not a dict',
    'strings': "'conv.weight' holds a str"
}


def test_files_that_are_not_checkpoints_are_called_corrupt(tmp_path):
    marker = tmp_path / 'code_ran'
    files = bad_checkpoint_files(tmp_path)
    files['pickled_payload'] = tmp_path / 'payload.pkl'
    files['pickled_payload'].write_bytes(pickle.dumps(SystemPayload(marker), protocol=2))
    for name, path in files.items():
        with pytest.raises(CorruptCheckpointError) as e:
            mm_checkpoint._load_checkpoint(str(path), map_location='cpu')
        message = str(e.value)
        assert message.startswith(f'Checkpoint {path} is corrupt or not a PyTorch checkpoint'), \
            (name, message)
        assert DETAILS.get(name, 'a plain pickle (of posix.system)') in message, (name, message)
        assert 'i-trust-this-file' not in message and 'pickled an' not in message, name
        assert '\n' not in message, name
    assert not marker.exists()


def test_legacy_format_and_bit_flipped_names(tmp_path):
    """The legacy (non-zip) format has no CRC: a flipped byte in a class name is recognised as
    damage, a real class outside the allow-list as unsafe."""
    import argparse
    legacy = tmp_path / 'legacy.pth'
    torch.save({
        'state_dict': {
            'w': torch.ones(2)
        },
        'meta': {
            'epoch': 1
        }
    },
               str(legacy),
               _use_new_zipfile_serialization=False)
    assert torch.equal(safe_load(str(legacy))['state_dict']['w'], torch.ones(2))
    data = legacy.read_bytes()
    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes(data.replace(b'torch._utils', b'torch._utjls', 1))
    with pytest.raises(
            CorruptCheckpointError,
            match=r'torch\._utjls\._rebuild_tensor_v2, which '
            'exists nowhere here'):
        safe_load(str(damaged))
    unsafe = tmp_path / 'opt.pth'
    torch.save({
        'state_dict': {
            'w': torch.ones(2)
        },
        'opt': argparse.Namespace(lr=0.1)
    },
               str(unsafe),
               _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match=r'pickles argparse\.Namespace'):
        safe_load(str(unsafe))
