"""tools/model_converters/trust_checkpoint.py: the explicit opt-in for legacy checkpoints.

The legacy file pickles, next to real weights, an argparse ``Namespace`` (as RepDistiller's
``*_last.pth`` does) and an object whose ``__reduce__`` writes a marker file when unpickled: the
safe paths (``safe_load``, the converter, the trust tool without its flag) must refuse the file
without ever creating the marker.
"""
import argparse
import importlib.util
import os
import sys
from collections import OrderedDict, defaultdict, namedtuple
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError
from tests import _launcher

ROOT = Path(__file__).resolve().parents[2]
TOOL = 'tools/model_converters/trust_checkpoint.py'
FLAG = '--i-trust-this-file'

PAYLOAD_MODULE = '''
def _rebuild(marker):
    with open(marker, 'w') as f:  # the "malicious" side effect
        f.write('code ran')
    return Payload(marker)


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return _rebuild, (self.marker, )
'''


def load_tool():
    spec = importlib.util.spec_from_file_location('trust_checkpoint_tool', str(ROOT / TOOL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_weights():
    """A resnet8 state dict under RepDistiller's names (see test_convert_reference.py)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmkd.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmkd'):
        model = MODELS.build(Config.fromfile(str(ROOT / 'configs/_base_/models/resnet8.py')).model)
    return OrderedDict(
        ('fc.' + k[len('head.fc.'):] if k.startswith('head.fc.') else k[len('backbone.'):], v)
        for k, v in model.state_dict().items())


def run_tool(args, pythonpath=None):
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1')
    env.pop('MMKD_DEBUG', None)
    if pythonpath:
        env['PYTHONPATH'] = os.pathsep.join([pythonpath, env.get('PYTHONPATH', '')])
    return _launcher.run([sys.executable, TOOL, *args],
                         cwd=str(ROOT),
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=300)


@pytest.fixture(scope='module')
def legacy(tmp_path_factory):
    """Two copies of a RepDistiller-style *_last.pth (argparse opt + a code-running object),
    each with its own marker; the trust tool runs on one without the flag and on the other with
    it, concurrently to save time."""
    tmp = tmp_path_factory.mktemp('trust')
    (tmp / 'mmkd_test_payload_trust.py').write_text(PAYLOAD_MODULE)
    weights = reference_weights()
    sys.path.insert(0, str(tmp))
    try:
        import mmkd_test_payload_trust as payload
        files = {}
        for kind in ('refused', 'trusted'):
            src, marker = tmp / f'{kind}_resnet8_last.pth', tmp / f'{kind}_code_ran'
            torch.save(
                {
                    'opt': argparse.Namespace(model='resnet8', learning_rate=0.05),
                    'model': weights,
                    'epoch': 240,
                    'best_acc': np.float64(73.25),
                    'history': np.arange(3),
                    'payload': payload.Payload(str(marker)),
                }, str(src))
            files[kind] = (src, marker, tmp / f'{kind}_out.pth')
    finally:
        sys.path.remove(str(tmp))
        sys.modules.pop('mmkd_test_payload_trust', None)
    assert not any(marker.exists() for _, marker, _ in files.values())
    runs = {
        'refused': [str(files['refused'][0]), str(files['refused'][2])],
        'trusted': [str(files['trusted'][0]),
                    str(files['trusted'][2]), FLAG]
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the payload's module is importable in both runs: refusing must not depend on luck
        results = dict(zip(runs, pool.map(lambda a: run_tool(a, str(tmp)), runs.values())))
    return dict(tmp=tmp, weights=weights, results=results, files=files)


def test_safe_load_refuses_without_running_code(legacy, monkeypatch):
    src, marker, _ = legacy['files']['refused']
    monkeypatch.syspath_prepend(str(legacy['tmp']))  # even with the payload importable
    with pytest.raises(CheckpointError) as info:
        safe_load(str(src))
    assert 'trust_checkpoint.py' in str(info.value) and FLAG in str(info.value)
    assert not marker.exists(), 'safe_load ran code pickled in the file'


def test_tool_without_flag_refuses_and_explains(legacy):
    src, marker, dst = legacy['files']['refused']
    result = legacy['results']['refused']
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    assert FLAG in result.stderr and 'arbitrary code' in result.stderr
    assert not dst.exists()
    assert not marker.exists(), 'the tool unpickled the file without the flag'


def test_tool_with_flag_keeps_plain_data(legacy):
    src, marker, dst = legacy['files']['trusted']
    result = legacy['results']['trusted']
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "checkpoint['opt'] (argparse.Namespace)" in out
    assert "checkpoint['payload'] (mmkd_test_payload_trust.Payload)" in out
    # the flag really means full unpickling: the object was rebuilt (then dropped)
    assert marker.exists()

    clean = safe_load(str(dst))
    assert set(clean) == {'model', 'epoch', 'best_acc', 'history'}
    assert clean['epoch'] == 240 and float(clean['best_acc']) == 73.25
    np.testing.assert_array_equal(clean['history'], np.arange(3))
    assert list(clean['model']) == list(legacy['weights'])
    for key, value in legacy['weights'].items():
        assert torch.equal(clean['model'][key], value)


def test_trusted_file_converts(legacy, tmp_path):
    from mmkd.models.utils.reference_converter import convert_checkpoint
    trusted = legacy['files']['trusted'][2]
    if not trusted.exists():
        pytest.skip('the trust tool failed (see test_tool_with_flag_keeps_plain_data)')
    dst = tmp_path / 'resnet8_mmkd.pth'
    meta = convert_checkpoint(
        str(trusted), str(dst), 'repdistiller', 'configs/_base_/models/resnet8.py')
    assert meta['source_meta']['epoch'] == 240
    assert meta['source_meta']['best_acc'] == pytest.approx(73.25)


def test_unimportable_class_gives_clear_message(tmp_path):
    """With the flag but without the code that wrote the file: a clear message, no file."""
    name = 'mmkd_test_payload_gone'
    (tmp_path / f'{name}.py').write_text(PAYLOAD_MODULE)
    sys.path.insert(0, str(tmp_path))
    try:
        payload = __import__(name)
        src = tmp_path / 'legacy.pth'
        torch.save({
            'model': {
                'w': torch.ones(1)
            },
            'x': payload.Payload(str(tmp_path / 'm'))
        }, str(src))
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    tool = load_tool()
    with pytest.raises(CheckpointError, match='cannot be imported.*PYTHONPATH'):
        tool.trust_checkpoint(str(src), str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()


def test_sanitize_rules(tmp_path):
    tool = load_tool()
    Point = namedtuple('Point', 'x y')
    counts = defaultdict(int, a=1)
    obj = OrderedDict(
        t=torch.ones(2),
        p=torch.nn.Parameter(torch.zeros(1)),
        n=None,
        s='x',
        f=1.5,
        b=True,
        dtype=torch.float16,
        size=torch.Size([2]),
        arr=np.ones(2),
        scalar=np.int64(3),
        objarr=np.array([object()], dtype=object),
        counts=counts,
        point=Point(1, 2),
        nested=[1, argparse.Namespace(a=1), (2, {3})],
        bad_key={
            (1, object()): 1,
            'ok': 2
        })
    dropped, changed = [], []
    clean = tool.sanitize(obj, 'ckpt', dropped, changed)
    assert type(clean) is OrderedDict
    assert clean['counts'] == {'a': 1} and type(clean['counts']) is dict
    assert clean['point'] == (1, 2) and type(clean['point']) is tuple
    assert clean['nested'] == [1, None, (2, {3})]  # positions kept
    assert clean['bad_key'] == {'ok': 2}
    assert 'objarr' not in clean and clean['scalar'] == 3
    assert any("ckpt['nested'][1] (argparse.Namespace)" == d for d in dropped)
    assert any(d.startswith("ckpt['objarr']") for d in dropped)
    assert any(c.startswith("ckpt['counts']") for c in changed)
    torch.save(clean, str(tmp_path / 'clean.pth'))
    safe_load(str(tmp_path / 'clean.pth'))  # everything kept is on the allow-list
