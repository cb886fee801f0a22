"""UNIXKD's two extra models (MobileNetV2 with a bare Linear classifier, resnet14x4) and
``--layout unixkd`` checkpoints (xuguodong03/UNIXKD ``models/``, ``teacher.py``)."""
import os
import os.path as osp

import pytest
import torch

from mmkd.models.distillers.builder_utils import build_classifier, load_weights_strict
from mmkd.models.utils import LAYOUTS, convert_checkpoint
from mmkd.models.utils.unixkd_converter import (UNIXKD_ARCH_CONFIGS, UNIXKD_TEACHERS,
                                                arch_from_teacher_path)
from mmkd.utils.checkpoint import safe_load
from tests.utils import run_tool

X = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))


def resnet_cifar_params(depth, widths, classes=100):
    """Parameter count of RepDistiller/UNIXKD ``ResNet(depth, widths, 'basicblock')``."""
    n = (depth - 2) // 6
    total = 3 * widths[0] * 9 + 2 * widths[0]  # stem conv + BN
    c_in = widths[0]
    for stage, c in enumerate(widths[1:]):
        for i in range(n):
            total += c_in * c * 9 + 2 * c + c * c * 9 + 2 * c
            if i == 0 and (stage > 0 or c_in != c):  # projection shortcut conv1x1 + BN
                total += c_in * c + 2 * c
            c_in = c
    return total + c_in * classes + classes


def test_resnet14x4_matches_the_reference_shapes_and_params():
    model = build_classifier('configs/_base_/models/resnet14x4.py').eval()
    n = sum(p.numel() for p in model.parameters())
    assert n == resnet_cifar_params(14, (32, 64, 128, 256)) == 2_783_620
    with torch.no_grad():
        feats = model.backbone.forward_features(X)
    assert feats.stem.shape == (2, 32, 32, 32)
    assert [tuple(f.shape[1:]) for f in feats.stages] == [(64, 32, 32), (128, 16, 16), (256, 8, 8)]
    assert model(X, mode='tensor').shape == (2, 100)
    # a deeper resnet8x4: 2 blocks per stage
    assert len(model.backbone.layer1) == 2 and model.backbone.layer1[0].downsample is not None


def test_mobilenetv2_unixkd_is_repdistillers_network_with_a_bare_linear():
    ours = build_classifier('configs/_base_/models/mobilenetv2_unixkd.py').eval()
    repd = build_classifier('configs/_base_/models/mobilenetv2.py').eval()
    assert sum(p.numel() for p in ours.parameters()) == 812_836
    assert list(ours.state_dict()) == list(repd.state_dict())
    assert ours.backbone.reference_classifier_prefix == 'classifier.'
    ours.load_state_dict(repd.state_dict())
    with torch.no_grad():
        f_ours = ours.backbone.forward_features(X)
        torch.testing.assert_close(ours(X, mode='tensor'), repd(X, mode='tensor'))
    assert f_ours.stem.shape == (2, 16, 16, 16)
    assert [tuple(f.shape[1:]) for f in f_ours.stages] == [(12, 16, 16), (16, 8, 8), (48, 4, 4),
                                                           (160, 2, 2)]
    assert f_ours.final.shape == (2, 1280, 2, 2)


# reference key names of a few UNIXKD models (models/*.py with num_classes=100)
REFERENCE_KEYS = {
    'MobileNetV2': [
        'conv1.0.weight', 'blocks.6.0.conv.7.running_var', 'conv2.1.bias', 'classifier.weight',
        'classifier.bias'
    ],
    'ResNet50': [
        'conv1.weight', 'layer1.0.shortcut.0.weight', 'layer4.2.bn3.running_mean', 'linear.weight',
        'linear.bias'
    ],
    'vgg13': ['block0.0.weight', 'block0.4.running_mean', 'classifier.weight'],
    'vgg16': ['block2.7.weight', 'classifier.bias'],
    'wrn_40_2': ['block1.layer.0.convShortcut.weight', 'bn1.running_var', 'fc.weight'],
    'resnet32x4': ['layer1.0.downsample.0.weight', 'layer3.4.conv2.weight', 'fc.weight'],
    'resnet56': ['layer3.8.bn2.weight', 'fc.bias'],
    'resnet14x4': ['layer3.1.conv2.weight', 'layer1.0.downsample.1.running_mean', 'fc.weight'],
}
CLASSIFIER = {
    'MobileNetV2': 'classifier.',
    'ResNet50': 'linear.',
    'vgg13': 'classifier.',
    'vgg16': 'classifier.',
    'ShuffleV1': 'linear.',
    'ShuffleV2': 'linear.',
    'vgg8': 'classifier.'
}


def reference_state_dict(model, arch):
    """``model``'s weights under the reference's names (inverse of the documented mapping)."""
    fc = CLASSIFIER.get(arch, 'fc.')
    out = {}
    for key, value in model.state_dict().items():
        if key.startswith('head.fc.'):
            out[fc + key[len('head.fc.'):]] = value.clone()
        else:
            assert key.startswith('backbone.'), key
            out[key[len('backbone.'):]] = value.clone()
    return out


def randomised(config):
    torch.manual_seed(1)
    model = build_classifier(config).eval()
    g = torch.Generator().manual_seed(2)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return model


@pytest.mark.parametrize('arch', list(UNIXKD_TEACHERS) + ['MobileNetV2', 'resnet14x4'])
def test_unixkd_checkpoint_converts_and_reproduces_logits(arch, tmp_path):
    config = UNIXKD_ARCH_CONFIGS[arch]
    source = randomised(config)
    state = reference_state_dict(source, arch)
    for key in REFERENCE_KEYS.get(arch, []):
        assert key in state, key
    src = tmp_path / f'teacher_{arch}' / 'ckpt' / 'best.pth'
    src.parent.mkdir(parents=True)
    torch.save(dict(epoch=240, state_dict=state, acc=75.38), str(src))
    dst = str(tmp_path / 'converted.pth')
    meta = convert_checkpoint(str(src), dst, 'unixkd', config)
    assert meta['layout'] == 'unixkd' and meta['source_meta'] == dict(epoch=240, acc=75.38)
    assert arch_from_teacher_path(str(src.parent.parent)) == arch
    target = build_classifier(config).eval()
    load_weights_strict(target, dst)
    with torch.no_grad():
        torch.testing.assert_close(target(X, mode='tensor'), source(X, mode='tensor'))


def test_teacher_path_parsing_follows_the_reference():
    assert arch_from_teacher_path('./experiments/teacher_wrn_40_2') == 'wrn_40_2'
    assert arch_from_teacher_path('./experiments/teacher_wrn_40_2/') == 'wrn_40_2'
    assert arch_from_teacher_path('experiments/teacher_ResNet50/ckpt/best.pth') == 'ResNet50'
    assert 'unixkd' in LAYOUTS
    for config in UNIXKD_ARCH_CONFIGS.values():
        assert osp.isfile(config), config


@pytest.mark.slow
def test_convert_reference_cli_reads_a_unixkd_teacher(tmp_path):
    source = randomised(UNIXKD_ARCH_CONFIGS['wrn_40_2'])
    folder = tmp_path / 'teacher_wrn_40_2' / 'ckpt'
    os.makedirs(folder)
    torch.save(
        dict(epoch=240, state_dict=reference_state_dict(source, 'wrn_40_2'), acc=76.46),
        str(folder / 'best.pth'))
    dst = str(tmp_path / 'wrn40_2.pth')
    out = run_tool([
        'tools/model_converters/convert_reference.py',
        str(folder / 'best.pth'), dst, '--layout', 'unixkd', '--config',
        'configs/_base_/models/wrn40_2.py'
    ]).stdout
    assert 'unixkd; epoch=240, acc=76.46' in out
    assert set(safe_load(dst)['state_dict']) == set(source.state_dict())
    # a RepDistiller-packed file given to the unixkd layout: one message naming the right layout
    torch.save(
        dict(model=reference_state_dict(source, 'wrn_40_2'), epoch=240), str(tmp_path / 'repd.pth'))
    proc = run_tool([
        'tools/model_converters/convert_reference.py',
        str(tmp_path / 'repd.pth'), dst, '--layout', 'unixkd', '--config',
        'configs/_base_/models/wrn40_2.py'
    ],
                    check=False)
    assert proc.returncode != 0 and 'use --layout repdistiller' in proc.stdout
    assert 'Traceback' not in proc.stdout
