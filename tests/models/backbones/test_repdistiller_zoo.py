"""The RepDistiller/SemCKD CIFAR-100 model zoo (RepDistiller/SemCKD models/*.py).

Every model is built from its ``configs/_base_/models/<name>.py`` and checked against the
table (parameter count, feature shapes, which features change under ``preact``), the mmpretrain
``out_indices`` contract, the reference weight init, and the reference checkpoint key layout
(``<key>`` → ``backbone.<key>``, final Linear → ``head.fc.*``).
"""
import copy
import functools
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine import Config

from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

register_all_modules()

CONFIG_DIR = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'models')

# Reference models, 32×32 input, 100 classes: params (M, 3 decimals), stem (C, H), stages [(C, H)],
# final (C, H) (the map the classifier pools), embedding width
R_SMALL = ((16, 32), [(16, 32), (32, 16), (64, 8)], (64, 8), 64)
R_X4 = ((32, 32), [(64, 32), (128, 16), (256, 8)], (256, 8), 256)
WRN_1 = ((16, 32), [(16, 32), (32, 16), (64, 8)], (64, 8), 64)
WRN_2 = ((16, 32), [(32, 32), (64, 16), (128, 8)], (128, 8), 128)
VGG = ((64, 32), [(128, 16), (256, 8), (512, 4), (512, 4)], (512, 4), 512)

# name: (params, shapes, preact relation, init family)
#   preact relation: how stages(preact=True) relate to stages(preact=False)
#     'relu': post = ReLU(pre); 'wrn_bn': pre = next BN(post) (no ReLU);
#     'shuffle_relu': post = shuffle(ReLU(pre)) (ShuffleV2 quirk); 'none': identical
ZOO = {
    'resnet8': (0.084, R_SMALL, 'relu', 'resnet'),
    'resnet14': (0.181, R_SMALL, 'relu', 'resnet'),
    'resnet20': (0.278, R_SMALL, 'relu', 'resnet'),
    'resnet32': (0.473, R_SMALL, 'relu', 'resnet'),
    'resnet44': (0.667, R_SMALL, 'relu', 'resnet'),
    'resnet56': (0.862, R_SMALL, 'relu', 'resnet'),
    'resnet110': (1.737, R_SMALL, 'relu', 'resnet'),
    'resnet8x4': (1.234, R_X4, 'relu', 'resnet'),
    'resnet32x4': (7.434, R_X4, 'relu', 'resnet'),
    'wrn16_1': (0.181, WRN_1, 'wrn_bn', 'wrn'),
    'wrn16_2': (0.703, WRN_2, 'wrn_bn', 'wrn'),
    'wrn40_1': (0.570, WRN_1, 'wrn_bn', 'wrn'),
    'wrn40_2': (2.255, WRN_2, 'wrn_bn', 'wrn'),
    'vgg8': (3.965, VGG, 'relu', 'vgg'),
    'vgg11': (9.277, VGG, 'relu', 'vgg'),
    'vgg13': (9.462, VGG, 'relu', 'vgg'),
    'vgg16': (14.774, VGG, 'relu', 'vgg'),
    'vgg19': (20.087, VGG, 'relu', 'vgg'),
    'mobilenetv2': (0.813, ((16, 16), [(12, 16), (16, 8), (48, 4),
                                       (160, 2)], (1280, 2), 1280), 'none', 'mobilenetv2'),
    'shufflev1': (0.949, ((24, 32), [(240, 16), (480, 8),
                                     (960, 4)], (960, 4), 960), 'relu', 'shuffle'),
    'shufflev2': (1.356, ((24, 32), [(116, 16), (232, 8),
                                     (464, 4)], (1024, 4), 1024), 'shuffle_relu', 'shuffle'),
}
NAMES = list(ZOO)

# A handful of key names of the reference implementations' state_dicts (RepDistiller models/*.py
# built with # num_classes=100), with the prefix they get in mmkd.
REFERENCE_KEYS = {
    'resnet8': [
        'conv1.weight', 'bn1.running_var', 'layer1.0.conv1.weight', 'layer2.0.downsample.0.weight',
        'layer3.0.downsample.1.running_mean', 'layer3.0.bn2.bias', 'fc.weight', 'fc.bias'
    ],
    'resnet32x4': ['layer1.0.downsample.0.weight', 'layer3.4.conv2.weight', 'fc.weight'],
    'wrn40_2': [
        'conv1.weight', 'block1.layer.0.bn1.weight', 'block1.layer.0.convShortcut.weight',
        'block2.layer.5.conv2.weight', 'block3.layer.0.bn1.num_batches_tracked', 'bn1.running_mean',
        'fc.weight', 'fc.bias'
    ],
    'wrn16_1': ['block1.layer.1.conv1.weight', 'block2.layer.0.convShortcut.weight', 'fc.bias'],
    'vgg8': [
        'block0.0.weight', 'block0.0.bias', 'block0.1.running_var', 'block4.1.weight',
        'classifier.weight', 'classifier.bias'
    ],
    'vgg13': ['block0.3.weight', 'block0.4.running_mean', 'block4.4.bias', 'classifier.weight'],
    'vgg19': ['block2.9.weight', 'block4.10.running_var', 'classifier.bias'],
    'mobilenetv2': [
        'conv1.0.weight', 'conv1.1.running_mean', 'blocks.0.0.conv.0.weight',
        'blocks.3.3.conv.7.bias', 'blocks.6.0.conv.3.weight', 'conv2.0.weight', 'conv2.1.weight',
        'classifier.0.weight', 'classifier.0.bias'
    ],
    'shufflev1': [
        'conv1.weight', 'bn1.bias', 'layer1.0.conv1.weight', 'layer2.7.bn3.running_var',
        'layer3.3.conv2.weight', 'linear.weight', 'linear.bias'
    ],
    'shufflev2': [
        'conv1.weight', 'layer1.0.conv5.weight', 'layer1.0.bn4.running_mean',
        'layer2.7.conv3.weight', 'layer3.3.bn1.bias', 'conv2.weight', 'bn2.running_var',
        'linear.weight'
    ],
}
REFERENCE_FC = {
    'wrn': 'fc.',
    'resnet': 'fc.',
    'vgg': 'classifier.',
    'mobilenetv2': 'classifier.0.',
    'shufflev': 'linear.'
}

X = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))


def model_cfg(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py')).model


def build(name: str) -> nn.Module:
    return MODELS.build(model_cfg(name))


@functools.lru_cache(maxsize=None)
def cached(name: str) -> nn.Module:
    """A model for read-only tests (eval mode, never mutated)."""
    return build(name).eval()


def randomise_bn(model: nn.Module, seed: int = 0) -> None:
    """Give every BN non-trivial affine parameters and running statistics."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.3
            m.running_mean = torch.randn(n, generator=g) * 0.3
            m.running_var = torch.rand(n, generator=g) * 1.5 + 0.5


def shuffle2(x: torch.Tensor) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


@pytest.mark.parametrize('name', NAMES)
def test_param_count(name):
    model = cached(name)
    n = sum(p.numel() for p in model.parameters())
    assert round(n / 1e6, 3) == pytest.approx(ZOO[name][0], abs=1e-9), n


@pytest.mark.parametrize('name', NAMES)
def test_feature_shapes_and_logits(name):
    model = cached(name)
    (stem_c, stem_h), stages, (final_c, final_h), emb = ZOO[name][1]
    with torch.no_grad():
        feats = model.backbone.forward_features(X)
        pooled = model.neck((feats.final, ))
        logits = model(X)
    assert tuple(feats.stem.shape) == (2, stem_c, stem_h, stem_h)
    assert [tuple(s.shape) for s in feats.stages] == [(2, c, h, h) for c, h in stages]
    assert tuple(feats.final.shape) == (2, final_c, final_h, final_h)
    assert isinstance(pooled, tuple) and tuple(pooled[0].shape) == (2, emb)
    assert model.backbone.num_stages == len(stages)
    # a post-stage block exists exactly when `final` is not the last stage output
    assert model.backbone.has_post_block == (not torch.equal(feats.final, feats.stages[-1]))
    assert tuple(logits.shape) == (2, 100)


@pytest.mark.parametrize('name', NAMES)
def test_preact(name):
    model = build(name)
    randomise_bn(model)
    model.eval()
    relation = ZOO[name][2]
    with torch.no_grad():
        post = model.backbone.forward_features(X, preact=False)
        pre = model.backbone.forward_features(X, preact=True)
    assert torch.equal(post.stem, pre.stem)
    assert torch.equal(post.final, pre.final)
    # one forward gives both: post-activation stages unchanged, pre-activation next to them
    for a, b in zip(post.stages, pre.stages):
        assert torch.equal(a, b)
    assert len(pre.stage_outputs(preact=True)) == len(post.stages)
    for i, (a, b) in enumerate(zip(post.stages, pre.stage_outputs(preact=True))):
        if relation == 'none':
            assert torch.equal(a, b), f'stage {i} changed although preact is ignored'
            continue
        assert a.shape == b.shape
        assert not torch.allclose(a, b), f'stage {i} unchanged under preact'
        if relation == 'relu':
            assert (b < 0).any()
            torch.testing.assert_close(F.relu(b), a)
        elif relation == 'shuffle_relu':
            # channel order of the preact map is the unshuffled concat (reference quirk)
            assert not torch.allclose(F.relu(b), a)
            torch.testing.assert_close(shuffle2(F.relu(b)), a)
        elif relation == 'wrn_bn':
            bb = model.backbone
            next_bn = [bb.block2.layer[0].bn1, bb.block3.layer[0].bn1, bb.bn1][i]
            torch.testing.assert_close(b, next_bn(a))
            assert (b < 0).any()  # no ReLU
            assert (a < 0).any()  # raw residual sums, no ReLU either
        else:
            raise AssertionError(relation)


@pytest.mark.parametrize('name', NAMES)
def test_out_indices(name):
    backbone_cfg = copy.deepcopy(model_cfg(name).backbone)
    default = cached(name).backbone
    n = default.num_stages + int(default.has_post_block)
    with torch.no_grad():
        feats = default.forward_features(X)
        (out, ) = default(X)
    expected = list(feats.stages) + ([feats.final] if default.has_post_block else [])
    assert len(expected) == n
    assert torch.equal(out, feats.final)  # default (-1,) is the map the classifier pools

    backbone_cfg.out_indices = tuple(range(n))
    backbone = MODELS.build(backbone_cfg)
    backbone.load_state_dict(default.state_dict())
    backbone.eval()
    assert backbone.out_indices == tuple(range(n))
    with torch.no_grad():
        outs = backbone(X)
    assert len(outs) == n
    for got, want in zip(outs, expected):
        torch.testing.assert_close(got, want)

    backbone._raw_out_indices = (0, -1)
    assert backbone.out_indices == (0, n - 1)

    for bad in (n, -n - 1):
        backbone_cfg.out_indices = (bad, )
        with pytest.raises(ValueError, match=rf'0\.\.{n - 1}'):
            MODELS.build(backbone_cfg)


def expected_conv_std(family: str, conv: nn.Conv2d) -> float:
    k = conv.kernel_size[0] * conv.kernel_size[1]
    if family == 'shuffle':  # PyTorch default: kaiming_uniform(a=sqrt(5)) → U(±1/sqrt(fan_in))
        fan_in = conv.in_channels // conv.groups * k
        return 1 / math.sqrt(3 * fan_in)
    # ResNet: kaiming_normal(fan_out, relu); WRN/VGG/MobileNetV2: normal(0, sqrt(2/(k²·C_out)))
    return math.sqrt(2 / (k * conv.out_channels))


@pytest.mark.parametrize('name', NAMES)
def test_reference_init(name):
    family = ZOO[name][3]
    model = build(name)
    model.init_weights()  # what the runner does; re-applies the backbone's reference init
    for m in model.backbone.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
        if isinstance(m, nn.Conv2d) and m.bias is not None:
            assert family == 'vgg'
            assert torch.all(m.bias == 0)
    convs = [m for m in model.backbone.modules() if isinstance(m, nn.Conv2d)]
    big = max(convs, key=lambda m: m.weight.numel())
    assert big.weight.std().item() == pytest.approx(expected_conv_std(family, big), rel=0.05)
    if family == 'shuffle':
        fan_in = big.in_channels // big.groups * big.kernel_size[0] * big.kernel_size[1]
        assert big.weight.abs().max().item() <= 1 / math.sqrt(fan_in) + 1e-6

    fc = model.head.fc
    bound = 1 / math.sqrt(fc.in_features)
    if family in ('vgg', 'mobilenetv2'):  # normal(0, 0.01), bias 0
        assert fc.weight.std().item() == pytest.approx(0.01, rel=0.05)
        assert torch.all(fc.bias == 0)
    elif family == 'wrn':  # PyTorch default weight, bias 0
        assert fc.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
        assert fc.weight.abs().max().item() <= bound + 1e-6
        assert torch.all(fc.bias == 0)
    else:  # PyTorch default weight and bias
        assert fc.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
        assert fc.weight.abs().max().item() <= bound + 1e-6
        assert fc.bias.abs().max().item() <= bound + 1e-6
        assert not torch.all(fc.bias == 0)


@pytest.mark.parametrize('name', list(REFERENCE_KEYS))
def test_reference_key_mapping(name):
    keys = set(cached(name).state_dict())
    fc_prefix = next(v for k, v in REFERENCE_FC.items() if name.startswith(k))
    for ref_key in REFERENCE_KEYS[name]:
        if ref_key.startswith(fc_prefix):
            mapped = 'head.fc.' + ref_key[len(fc_prefix):]
        else:
            mapped = 'backbone.' + ref_key
        assert mapped in keys, f'{ref_key} -> {mapped} missing'
    # nothing outside backbone./head.fc. carries state
    assert all(k.startswith(('backbone.', 'head.fc.')) for k in keys)
