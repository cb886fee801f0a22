"""tools/model_converters/convert_reference.py and mmkd.models.utils.reference_converter.

Reference checkpoints are synthesised from a built mmkd model by the INVERSE of the documented
mapping, written here independently of the converter: ``backbone.<k>`` -> ``<k>``, ``head.fc.*``
-> the reference classifier name (``fc.`` CIFAR ResNet/WRN/torchvision, ``classifier.`` VGG,
``classifier.0.`` MobileNetV2-half, ``linear.`` ShuffleV2 and the kuangliu ResNet-18, ``conv2.``
with a (K, C, 1, 1) weight for Tf-KD's MobileNetV2). A few key names read off the reference model
files (RepDistiller ``models/*.py``, Tf-KD ``model/*.py``) and torchvision's own ``resnet18``
check that the inverse really produces the reference names. Every file is then converted by the
CLI (in subprocesses, run concurrently to keep the file fast), loaded strictly into a freshly
built model and must reproduce the original logits in float64.

Every start of the CLI costs ~4 s of imports (torch, mmengine, mmpretrain), so one case per
layout (:data:`CLI_CASES`) goes through the CLI in a subprocess and the others through
``convert_checkpoint``, the file-to-file function the CLI is a thin wrapper around (same safe
load, conversion, verification and atomic save). ``MMKD_TEST_ALL_CLI=1`` sends every case through
the CLI.
"""
import os
import os.path as osp
import subprocess
import sys
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError, ConfigError
from tests import _launcher

ROOT = Path(__file__).resolve().parents[2]
MODEL_CONFIGS = ROOT / 'configs' / '_base_' / 'models'
CONVERT = 'tools/model_converters/convert_reference.py'

# name: (layout, reference classifier prefix, reference key names that must appear, input size)
CASES = {
    'resnet8': ('repdistiller', 'fc.', [
        'conv1.weight', 'bn1.running_mean', 'layer1.0.bn1.running_mean',
        'layer2.0.downsample.0.weight', 'layer3.0.downsample.1.running_var', 'fc.weight'
    ], 32),
    'wrn16_2': ('repdistiller', 'fc.', [
        'conv1.weight', 'block1.layer.0.bn1.weight', 'block1.layer.0.convShortcut.weight',
        'block3.layer.1.conv2.weight', 'bn1.running_var', 'fc.bias'
    ], 32),
    'vgg8':
    ('repdistiller', 'classifier.',
     ['block0.0.weight', 'block0.1.running_mean', 'block4.1.running_var', 'classifier.weight'], 32),
    'mobilenetv2': ('repdistiller', 'classifier.0.', [
        'conv1.0.weight', 'blocks.0.0.conv.0.weight', 'blocks.6.0.conv.7.running_mean',
        'conv2.1.weight', 'classifier.0.weight'
    ], 32),
    'shufflev2': ('repdistiller', 'linear.', [
        'conv1.weight', 'bn1.weight', 'layer1.0.conv5.weight', 'layer1.1.bn3.running_var',
        'conv2.weight', 'bn2.bias', 'linear.weight'
    ], 32),
    'resnet18': ('tfkd', 'linear.', [
        'conv1.weight', 'layer2.0.shortcut.0.weight', 'layer4.1.bn2.num_batches_tracked',
        'linear.weight'
    ], 32),
    'mobilenetv2_tfkd': ('tfkd', 'conv2.', [
        'pre.0.weight', 'pre.1.running_mean', 'stage1.residual.0.weight',
        'stage2.0.residual.3.weight', 'conv1.0.weight', 'conv2.weight', 'conv2.bias'
    ], 32),
    'resnet18_imagenet':
    ('torchvision', 'fc.',
     ['conv1.weight', 'layer2.0.downsample.0.weight', 'layer4.1.bn2.running_var', 'fc.weight'], 64),
}


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Single-threaded torch: with OpenMP threads on a busy 2-core machine, float64 depthwise
    convs slow down a hundredfold."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


#: one case per layout runs the CLI in a subprocess (all of them with MMKD_TEST_ALL_CLI=1)
CLI_CASES = set(CASES) if os.environ.get('MMKD_TEST_ALL_CLI') else {
    'resnet8', 'mobilenetv2_tfkd', 'resnet18_imagenet'
}


def build(name: str, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmkd'):
        model = MODELS.build(Config.fromfile(str(MODEL_CONFIGS / f'{name}.py')).model)
    return model.eval()


@torch.no_grad()
def randomize(model: torch.nn.Module, seed: int) -> None:
    """Every parameter and buffer moved away from its init (so BN stats matter)."""
    gen = torch.Generator().manual_seed(seed)
    for key, value in model.state_dict().items():
        if key.endswith('num_batches_tracked'):
            value.fill_(int(torch.randint(1, 1000, (1, ), generator=gen)))
        elif key.endswith('running_var'):
            value.copy_(0.5 + torch.rand(value.shape, generator=gen))
        else:
            value.add_(0.05 * torch.randn(value.shape, generator=gen))


def to_reference(state_dict, classifier: str) -> 'OrderedDict[str, torch.Tensor]':
    """The inverse of the documented mapping (mmkd names -> reference names)."""
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('backbone.'):
            out[key[len('backbone.'):]] = value.clone()
        elif key.startswith('head.fc.'):
            ref_key = classifier + key[len('head.fc.'):]
            if classifier == 'conv2.' and ref_key == 'conv2.weight':
                value = value.reshape(*value.shape, 1, 1)  # Tf-KD: 1x1-conv classifier
            out[ref_key] = value.clone()
        else:
            raise AssertionError(f'unexpected mmkd key {key}')
    return out


def save_in_layout(ref_sd, layout: str, path: str) -> None:
    if layout == 'repdistiller':
        torch.save(
            {
                'model': ref_sd,
                'epoch': 240,
                'best_acc': torch.tensor(73.5),
                'optimizer': {
                    'state': {},
                    'param_groups': [{
                        'lr': 0.05,
                        'params': [0]
                    }]
                }
            }, path)
    elif layout == 'tfkd':  # DataParallel-wrapped, as some Tf-KD teachers are
        torch.save(
            {
                'epoch': 1,
                'state_dict': OrderedDict(('module.' + k, v) for k, v in ref_sd.items()),
                'optim_dict': {
                    'state': {},
                    'param_groups': []
                }
            }, path)
    else:
        torch.save(ref_sd, path)


def inputs(size: int) -> torch.Tensor:
    return torch.randn(
        2, 3, size, size, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


@torch.no_grad()
def logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model.double().eval()(x, mode='tensor')


def run_cli(*args: str) -> subprocess.CompletedProcess:
    # one thread each: the conversions run side by side on a small machine
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    env.pop('MMKD_DEBUG', None)
    return _launcher.run([sys.executable, CONVERT, *args],
                         cwd=str(ROOT),
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=300)


PAYLOAD_MODULE = '''
import os


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


@pytest.fixture(scope='module')
def work(tmp_path_factory, one_thread):
    """Write every reference file, then run all CLI conversions concurrently."""
    tmp = tmp_path_factory.mktemp('convert_reference')
    expected, jobs = {}, {}
    for i, (name, (layout, classifier, ref_keys, size)) in enumerate(CASES.items()):
        model = build(name, seed=i)
        randomize(model, seed=100 + i)
        ref_sd = to_reference(model.state_dict(), classifier)
        expected[name] = (ref_sd, logits(model, inputs(size)))
        src = str(tmp / f'{name}_{layout}.pth')
        save_in_layout(ref_sd, layout, src)
        jobs[name] = (src, str(tmp / f'{name}_mmkd.pth'), '--layout', layout, '--config',
                      f'configs/_base_/models/{name}.py')
    # error path of the CLI: a file that pickles an object (the wrong-config message is
    # checked in-process below, through the same convert_checkpoint the CLI calls)
    marker = tmp / 'payload_code_ran'
    (tmp / 'mmkd_test_payload.py').write_text(PAYLOAD_MODULE)
    sys.path.insert(0, str(tmp))
    try:
        import mmkd_test_payload
        pickled = str(tmp / 'pickled.pth')
        torch.save(
            {
                'model': expected['resnet8'][0],
                'epoch': 240,
                'payload': mmkd_test_payload.Payload(str(marker))
            }, pickled)
        assert not marker.exists()
        jobs['pickled'] = (pickled, str(tmp / 'pickled_mmkd.pth'), '--layout', 'repdistiller',
                           '--config', 'configs/_base_/models/resnet8.py')
        # the converter runs with the payload importable: refusing must not depend on luck
        os.environ['PYTHONPATH'] = os.pathsep.join(
            [str(tmp)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])
        cli_jobs = {k: v for k, v in jobs.items() if k in CLI_CASES or k not in CASES}
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(zip(cli_jobs, pool.map(lambda a: run_cli(*a), cli_jobs.values())))
    finally:
        sys.path.remove(str(tmp))
        os.environ['PYTHONPATH'] = os.pathsep.join(
            p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p and p != str(tmp))
    return dict(tmp=tmp, expected=expected, jobs=jobs, results=results, marker=marker)


@pytest.mark.parametrize('name', list(CASES))
def test_converts_and_reproduces_logits(work, name):
    layout, _, ref_keys, size = CASES[name]
    ref_sd, expected_logits = work['expected'][name]
    missing_ref = [k for k in ref_keys if k not in ref_sd]
    assert not missing_ref, f'inverse mapping does not give reference names {missing_ref}'

    src, dst = work['jobs'][name][:2]
    if name in CLI_CASES:
        result = work['results'][name]
        assert result.returncode == 0, result.stderr[-3000:]
        assert 'verified against' in result.stdout
    else:
        from mmkd.models.utils.reference_converter import convert_checkpoint
        convert_checkpoint(src, dst, layout, f'configs/_base_/models/{name}.py')
    checkpoint = safe_load(dst)  # the output needs no trust
    assert set(checkpoint) == {'meta', 'state_dict'}
    meta = checkpoint['meta']
    assert meta['layout'] == layout and meta['source'] == osp.abspath(src)
    if layout == 'repdistiller':
        assert meta['source_meta']['epoch'] == 240
        assert meta['source_meta']['best_acc'] == pytest.approx(73.5)
    elif layout == 'tfkd':
        assert meta['source_meta']['epoch'] == 1

    fresh = build(name, seed=12345)
    fresh.load_state_dict(checkpoint['state_dict'], strict=True)
    torch.testing.assert_close(logits(fresh, inputs(size)), expected_logits, atol=1e-10, rtol=0)


def test_torchvision_names_are_torchvision_s(work):
    """The torchvision case against torchvision itself: same keys, same function."""
    import torchvision
    ref_sd, expected_logits = work['expected']['resnet18_imagenet']
    tv = torchvision.models.resnet18(num_classes=1000)
    tv.load_state_dict(ref_sd, strict=True)
    with torch.no_grad():
        tv_logits = tv.double().eval()(inputs(64))
    torch.testing.assert_close(tv_logits, expected_logits, atol=1e-10, rtol=0)


def _cli_module():
    """The CLI as a module (its config suggestions are CLI conveniences, not library code)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'convert_reference_tool', osp.join(ROOT, 'tools/model_converters/convert_reference.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wrong_config_names_keys_and_suggests(work):
    src, dst = work['jobs']['resnet8'][0], str(work['tmp'] / 'wrong.pth')
    with pytest.raises(CheckpointError) as info:
        _cli_module().convert(src, dst, 'repdistiller', 'configs/_base_/models/wrn16_2.py')
    message = str(info.value)
    assert 'Missing keys (' in message and 'Unexpected keys (' in message
    assert 'backbone.block1.layer.0.bn1.weight' in message  # a wrn16_2 key the file lacks
    assert 'backbone.layer1.0.conv1.weight' in message  # a resnet8 key wrn16_2 lacks
    assert '--config configs/_base_/models/resnet8.py' in message  # the config that fits
    assert not osp.exists(dst)


def test_cli_refuses_pickled_objects_without_running_them(work):
    result = work['results']['pickled']
    assert result.returncode == 1
    assert 'trust_checkpoint.py' in result.stderr and '--i-trust-this-file' in result.stderr
    assert 'Traceback' not in result.stderr
    assert not work['marker'].exists(), 'the pickled object was rebuilt: code ran'
    assert not osp.exists(work['jobs']['pickled'][1])


# ----------------------------------------------------------------- the Python API
def test_api_whole_checkpoint_or_weights(work):
    from mmkd.models.utils.reference_converter import convert_state_dict
    ref_sd, expected_logits = work['expected']['resnet8']
    model = build('resnet8', seed=7)
    for given in ({'model': ref_sd, 'epoch': 240}, ref_sd):
        out = convert_state_dict(given, 'repdistiller', model)
        model.load_state_dict(out, strict=True)
        torch.testing.assert_close(logits(model, inputs(32)), expected_logits, atol=1e-10, rtol=0)
        model.float()


def test_api_old_checkpoint_without_num_batches_tracked(work, tmp_path):
    """PyTorch < 0.4.1 checkpoints lack num_batches_tracked: filled with 0, reported."""
    from mmkd.models.utils.reference_converter import convert_checkpoint
    ref_sd, expected_logits = work['expected']['wrn16_2']
    old = OrderedDict((k, v) for k, v in ref_sd.items() if not k.endswith('num_batches_tracked'))
    src, dst = str(tmp_path / 'old.pth'), str(tmp_path / 'old_mmkd.pth')
    torch.save({'model': old, 'epoch': 240}, src)
    meta = convert_checkpoint(src, dst, 'repdistiller', 'configs/_base_/models/wrn16_2.py')
    assert len(meta['filled_keys']) == len(ref_sd) - len(old) > 0
    state = safe_load(dst)['state_dict']
    assert all(int(state[k]) == 0 for k in meta['filled_keys'])
    model = build('wrn16_2', seed=3)
    model.load_state_dict(state, strict=True)
    torch.testing.assert_close(logits(model, inputs(32)), expected_logits, atol=1e-10, rtol=0)


def test_reconcile_drops_only_what_the_target_lacks():
    from mmkd.models.utils.reference_converter import reconcile_bookkeeping
    target = {'a.weight': torch.zeros(2), 'a.running_mean': torch.zeros(2)}  # no buffer
    given = {
        'a.weight': torch.ones(2),
        'a.running_mean': torch.ones(2),
        'a.num_batches_tracked': torch.tensor(5),
        'b.num_batches_tracked': torch.tensor(1)
    }
    out, dropped, filled = reconcile_bookkeeping(given, target)
    assert dropped == ['a.num_batches_tracked'] and filled == []
    assert 'b.num_batches_tracked' in out  # an unknown BN stays, so verification reports it


def test_api_errors(work):
    from mmkd.models.utils.reference_converter import (build_target_model, convert_state_dict,
                                                       extract_reference_state_dict)
    ref_sd, _ = work['expected']['resnet8']
    model = build('resnet8', seed=0)
    # wrong layout: the message names the right one
    with pytest.raises(CheckpointError, match='--layout repdistiller'):
        extract_reference_state_dict({'model': ref_sd, 'epoch': 1}, 'tfkd')
    with pytest.raises(CheckpointError, match='--layout tfkd'):
        extract_reference_state_dict({'state_dict': ref_sd, 'epoch': 1}, 'torchvision')
    # an mmkd checkpoint needs no conversion
    with pytest.raises(CheckpointError, match='no conversion'):
        convert_state_dict({'state_dict': model.state_dict()}, 'tfkd', model)
    # wrong architecture: missing/unexpected keys with counts
    with pytest.raises(CheckpointError, match=r'Missing keys \(\d+\).*Unexpected keys \(\d+\)'):
        convert_state_dict(ref_sd, 'repdistiller', build('vgg8', seed=0))
    # wrong class count: shape mismatch named
    cut = OrderedDict(ref_sd)
    cut['fc.weight'], cut['fc.bias'] = cut['fc.weight'][:10], cut['fc.bias'][:10]
    with pytest.raises(CheckpointError, match=r'head\.fc\.weight \(10, 64\) vs \(100, 64\)'):
        convert_state_dict(cut, 'repdistiller', model)
    # a distillation config is not a conversion target
    with pytest.raises(ConfigError, match='distillation config'):
        build_target_model('configs/kd/resnet32x4_resnet8x4.py')
    with pytest.raises(ConfigError, match='Unknown reference layout'):
        convert_state_dict(ref_sd, 'nope', model)


def test_new_layout_plugs_in(work):
    """An HSAKD-style layout ({'net': {backbone.*, auxiliary_classifier.*}}) only needs
    register_layout with its container and key mapping."""
    from mmkd.models.utils import reference_converter as rc
    ref_sd, expected_logits = work['expected']['resnet8']

    def map_hsakd_like(state_dict, model):
        plain = {
            k[len('backbone.'):]: v
            for k, v in state_dict.items() if k.startswith('backbone.')
        }
        return rc.map_classifier_keys(plain, model)

    layout = rc.register_layout(
        rc.ReferenceLayout(
            name='test_hsakd_like',
            description='test',
            containers=('test_net', ),
            map_keys=map_hsakd_like))
    try:
        net = {'backbone.' + k: v for k, v in ref_sd.items()}
        net['auxiliary_classifier.fc.weight'] = torch.zeros(400, 64)
        assert rc.detect_layout({'test_net': net, 'acc': 70.0}) == 'test_hsakd_like'
        model = build('resnet8', seed=1)
        model.load_state_dict(rc.convert_state_dict({'test_net': net}, layout, model), strict=True)
        torch.testing.assert_close(logits(model, inputs(32)), expected_logits, atol=1e-10, rtol=0)
    finally:
        rc.LAYOUTS.pop('test_hsakd_like')
