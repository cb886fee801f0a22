"""``--layout hsakd``: HSAKD checkpoints (``{'net': {backbone.*, auxiliary_classifier.*}, 'acc',
'epoch', 'optimizer'}``) into the aux-branch classifier, or, for a student, the plain classifier.

Reference files are synthesised from a built mmkd aux model by the INVERSE mapping, written here
independently of the converter: ``backbone.<k>`` → ``backbone.<k>``, ``head.fc.*`` →
``backbone.<reference classifier name>`` (``fc.`` WRN/ResNet, ``classifier.`` VGG and HSAKD's
MobileNetV2, ``linear.`` ShuffleNet), ``aux_branches.<i>.extractor.*`` →
``auxiliary_classifier.block_extractor<i+1>.*``, ``.fc`` → ``fc<i+1>``, ``.bn`` → ``bn<i+1>``
(WRN), ``.conv2`` → ``conv2_<i+1>`` (MobileNetV2). Key names read off the reference files
(winycg/HSAKD ``models/*.py``) check that the inverse gives the reference's names. After
conversion, the final head and every branch reproduce the original logits (float64).
"""
import os.path as osp
import re
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError
from tests.utils import ROOT, run_tool

# arch: (reference classifier prefix, reference keys the inverse must produce, plain config)
CASES = {
    'wrn16_2': ('fc.', [
        'backbone.block1.layer.0.convShortcut.weight', 'backbone.bn1.running_var',
        'backbone.fc.weight', 'auxiliary_classifier.block_extractor1.0.layer.0.bn1.weight',
        'auxiliary_classifier.block_extractor1.1.layer.1.conv2.weight',
        'auxiliary_classifier.block_extractor3.0.layer.0.conv1.weight',
        'auxiliary_classifier.bn2.running_mean', 'auxiliary_classifier.fc3.bias'
    ], 'configs/_base_/models/wrn16_2.py'),
    'resnet8x4': ('fc.', [
        'backbone.layer2.0.downsample.0.weight', 'backbone.fc.bias',
        'auxiliary_classifier.block_extractor1.0.0.downsample.1.running_var',
        'auxiliary_classifier.block_extractor1.1.0.conv2.weight',
        'auxiliary_classifier.block_extractor3.0.0.bn2.weight', 'auxiliary_classifier.fc1.weight'
    ], 'configs/_base_/models/resnet8x4.py'),
    'vgg8': ('classifier.', [
        'backbone.block0.0.weight', 'backbone.classifier.weight',
        'auxiliary_classifier.block_extractor1.1.0.weight',
        'auxiliary_classifier.block_extractor1.4.1.running_mean',
        'auxiliary_classifier.block_extractor4.0.0.weight',
        'auxiliary_classifier.block_extractor4.2.1.bias', 'auxiliary_classifier.fc4.weight'
    ], 'configs/_base_/models/vgg8.py'),
    'mobilenetv2': ('classifier.', [
        'backbone.conv1.0.weight', 'backbone.blocks.6.0.conv.7.running_var',
        'backbone.conv2.1.weight', 'backbone.classifier.weight',
        'auxiliary_classifier.block_extractor1.0.0.conv.0.weight',
        'auxiliary_classifier.block_extractor4.1.0.conv.3.weight',
        'auxiliary_classifier.conv2_4.1.running_mean', 'auxiliary_classifier.fc2.bias'
    ], 'configs/_base_/models/hsakd/mobilenetv2.py'),
    'shufflev2': ('linear.', [
        'backbone.layer1.0.conv5.weight', 'backbone.linear.weight',
        'auxiliary_classifier.block_extractor1.0.0.conv1.weight',
        'auxiliary_classifier.block_extractor1.2.weight',
        'auxiliary_classifier.block_extractor1.3.running_var',
        'auxiliary_classifier.block_extractor3.0.3.bn3.weight', 'auxiliary_classifier.fc3.weight'
    ], 'configs/_base_/models/shufflev2.py'),
}
AUX_NAMES = {'extractor': 'block_extractor{}', 'fc': 'fc{}', 'bn': 'bn{}', 'conv2': 'conv2_{}'}


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(path, seed):
    torch.manual_seed(seed)
    return MODELS.build(Config.fromfile(osp.join(ROOT, path)).model).eval()


@torch.no_grad()
def randomize(model, seed):
    gen = torch.Generator().manual_seed(seed)
    for key, value in model.state_dict().items():
        if key.endswith('num_batches_tracked'):
            value.fill_(int(torch.randint(1, 1000, (1, ), generator=gen)))
        elif key.endswith('running_var'):
            value.copy_(0.5 + torch.rand(value.shape, generator=gen))
        else:
            value.add_(0.05 * torch.randn(value.shape, generator=gen))


def to_reference(state_dict, classifier):
    """mmkd names -> HSAKD names (the inverse of the documented mapping)."""
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('backbone.'):
            out[key] = value.clone()
        elif key.startswith('head.fc.'):
            out['backbone.' + classifier + key[len('head.fc.'):]] = value.clone()
        else:
            match = re.fullmatch(r'aux_branches\.(\d+)\.(extractor|fc|bn|conv2)\.(.+)', key)
            assert match, key
            index, module, rest = match.groups()
            name = AUX_NAMES[module].format(int(index) + 1)
            out[f'auxiliary_classifier.{name}.{rest}'] = value.clone()
    return out


@torch.no_grad()
def outputs(model, x):
    model.double().eval()
    if hasattr(model, 'forward_aux'):
        out = model.forward_aux(x)
        return [out.logits] + out.ss_logits
    return [model(x, mode='tensor')]


@pytest.fixture(scope='module')
def references(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('hsakd_convert')
    refs = {}
    for i, (arch, (classifier, _, _)) in enumerate(CASES.items()):
        model = build(f'configs/_base_/models/hsakd/{arch}_aux.py', seed=i)
        randomize(model, seed=50 + i)
        x = torch.randn(
            2, 3, 32, 32, generator=torch.Generator().manual_seed(i), dtype=torch.float64)
        expected = outputs(model, x)
        src = str(tmp / f'{arch}_hsakd.pth.tar')
        # DataParallel keys, as a checkpoint saved without .module would have
        net = to_reference(model.state_dict(), classifier)
        torch.save(
            {
                'net': OrderedDict(
                    ('module.' + k, v) for k, v in net.items()) if arch == 'vgg8' else net,
                'acc': 0.7645,
                'epoch': 239,
                'optimizer': {
                    'state': {},
                    'param_groups': []
                }
            }, src)
        refs[arch] = dict(src=src, net=net, x=x, expected=expected, tmp=tmp)
    return refs


@pytest.mark.parametrize('arch', list(CASES))
def test_teacher_into_aux_classifier_and_student_into_plain(references, arch):
    from mmkd.models.utils.reference_converter import convert_checkpoint
    classifier, ref_keys, plain_cfg = CASES[arch]
    ref = references[arch]
    missing = [k for k in ref_keys if k not in ref['net']]
    assert not missing, f'the inverse mapping does not give reference names {missing}'

    # teacher (or student with branches): every key, final and branch logits reproduced
    dst = str(ref['tmp'] / f'{arch}_aux_mmkd.pth')
    aux_cfg = f'configs/_base_/models/hsakd/{arch}_aux.py'
    meta = convert_checkpoint(ref['src'], dst, 'hsakd', aux_cfg)
    assert meta['source_meta'] == {'epoch': 239, 'acc': pytest.approx(0.7645)}
    fresh = build(aux_cfg, seed=999)
    fresh.load_state_dict(safe_load(dst)['state_dict'], strict=True)
    got = outputs(fresh, ref['x'])
    assert len(got) == len(ref['expected']) == 1 + len(fresh.aux_branches)
    for a, b in zip(got, ref['expected']):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=0)

    # student into the plain classifier: branches dropped, the same final logits
    dst_plain = str(ref['tmp'] / f'{arch}_plain_mmkd.pth')
    convert_checkpoint(ref['src'], dst_plain, 'hsakd', plain_cfg)
    plain = build(plain_cfg, seed=998)
    state = safe_load(dst_plain)['state_dict']
    assert not any(k.startswith('aux') for k in state)
    plain.load_state_dict(state, strict=True)
    torch.testing.assert_close(outputs(plain, ref['x'])[0], ref['expected'][0], atol=1e-10, rtol=0)


def test_cli_detects_and_names_the_layout(references):
    from mmkd.models.utils.reference_converter import detect_layout
    ref = references['resnet8x4']
    assert detect_layout(safe_load(ref['src'])) == 'hsakd'
    dst = str(ref['tmp'] / 'cli.pth')
    out = run_tool([
        'tools/model_converters/convert_reference.py', ref['src'], dst, '--layout', 'hsakd',
        '--config', 'configs/_base_/models/hsakd/resnet8x4_aux.py'
    ]).stdout
    assert 'verified against configs/_base_/models/hsakd/resnet8x4_aux.py' in out
    model = build('configs/_base_/models/hsakd/resnet8x4_aux.py', seed=5)
    model.load_state_dict(safe_load(dst)['state_dict'], strict=True)


def test_wrong_architecture_is_refused(references, tmp_path):
    from mmkd.models.utils.reference_converter import convert_checkpoint
    with pytest.raises(CheckpointError, match=r'Missing keys \(\d+\)'):
        convert_checkpoint(references['wrn16_2']['src'], str(tmp_path / 'x.pth'), 'hsakd',
                           'configs/_base_/models/hsakd/resnet8x4_aux.py')
    # an unconverted HSAKD file used as a teacher: the message says how to convert it
    from mmkd.models.distillers.builder_utils import load_weights_strict
    with pytest.raises(CheckpointError, match='--layout hsakd'):
        load_weights_strict(
            build('configs/_base_/models/hsakd/wrn16_2_aux.py', seed=0),
            references['wrn16_2']['src'])
