"""HSAKD's auxiliary branches (mmkd/models/heads/hsakd_branches.py) built and run on their own.

The branch layout is HSAKD's (winycg/HSAKD ``models/resnet.py``, ``models/wrn.py``): branch ``l``
repeats the backbone stages after ``l`` (the last one a stride-1 copy of the last stage), then
global pool and ``Linear(d, 4·C)``. Parameter counts below are re-derived from that layout by hand
(conv k·k·c_in·c_out, BN 2·c, 1×1-conv + BN shortcut where the shape changes).
"""
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from mmkd.models.heads import AuxBranch, AuxBranches, ResNetCifarAuxBranches, WRNAuxBranches
from mmkd.registry import MODELS
from tests.utils import ROOT

AUX_CONFIGS = osp.join(ROOT, 'configs', '_base_', 'models', 'hsakd')


def build(path, device='meta'):
    cfg = Config.fromfile(path)
    with torch.device(device):
        return MODELS.build(cfg.model)


def count(module):
    return sum(p.numel() for p in module.parameters())


def basic_stage(cin, c, blocks, stride):
    """Parameters of a CIFAR-ResNet stage of BasicBlocks (3×3 convs, no bias)."""
    first = 9 * cin * c + 9 * c * c + 2 * 2 * c
    if stride != 1 or cin != c:
        first += cin * c + 2 * c  # 1×1 conv + BN shortcut
    return first + (blocks - 1) * (2 * 9 * c * c + 2 * 2 * c)


def _resnet20():
    model = MODELS.build(Config.fromfile(osp.join(ROOT, 'configs/_base_/models/resnet20.py')).model)
    return model.backbone


def test_resnet_cifar_branches_repeat_the_later_stages():
    backbone = _resnet20()  # widths 16/32/64, 3 blocks per stage
    branches = MODELS.build(
        dict(type='ResNetCifarAuxBranches'),
        default_args=dict(backbone=backbone, num_classes=4 * 100))
    assert isinstance(branches, ResNetCifarAuxBranches) and len(branches) == 3
    fc = 64 * 400 + 400
    assert [count(b) for b in branches] == [
        basic_stage(16, 32, 3, 2) + basic_stage(32, 64, 3, 2) + fc,
        basic_stage(32, 64, 3, 2) + fc,
        basic_stage(64, 64, 3, 1) + fc
    ]
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    taps = branches.taps(backbone.forward_features(x))
    assert [tuple(t.shape[1:]) for t in taps] == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
    out = branches(taps)
    assert [tuple(o.shape) for o in out] == [(2, 400)] * 3
    with pytest.raises(ValueError, match='has 3 branches but got 2 feature maps'):
        branches(taps[:2])


def test_branch_is_extractor_bn_relu_pool_fc():
    torch.manual_seed(0)
    extractor = nn.Conv2d(3, 6, 3, padding=1)
    branch = AuxBranch(extractor, 6, 8, bn=nn.BatchNorm2d(6)).eval()
    with torch.no_grad():
        branch.bn.running_mean.uniform_(-1, 1)
        branch.bn.running_var.uniform_(0.5, 2)
        x = torch.randn(2, 3, 5, 5)
        out = branch(x)
        bn = branch.bn
        y = F.conv2d(x, extractor.weight, extractor.bias, padding=1)
        y = (y - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None] +
                                                              bn.eps)
        y = torch.relu(y * bn.weight[:, None, None] + bn.bias[:, None, None])
        expected = y.mean((2, 3)) @ branch.fc.weight.T + branch.fc.bias
    assert torch.allclose(out, expected, atol=1e-5)


def test_wrn_branches_end_in_bn_and_check_the_backbone():
    backbone = build(osp.join(ROOT, 'configs/_base_/models/wrn16_2.py'), 'cpu').backbone
    branches = WRNAuxBranches(backbone, num_classes=40)
    assert [type(b.bn) for b in branches] == [nn.BatchNorm2d] * 3
    assert all(b.fc.in_features == 128 and b.fc.out_features == 40 for b in branches)
    with pytest.raises(TypeError, match='WideResNetCifar backbone, got ResNetCifar'):
        WRNAuxBranches(_resnet20(), num_classes=40)


def test_unknown_init_style_is_refused():

    class Odd(AuxBranches):
        init_style = 'odd'

    with pytest.raises(ValueError, match="unknown aux init style 'odd'"):
        Odd([AuxBranch(nn.Identity(), 4, 4)])


def _fc_stats(model):
    return [(b.fc.weight.std().item(), b.fc.bias.abs().max().item()) for b in model.aux_branches]


def test_branch_init_follows_each_reference():
    torch.manual_seed(0)
    # WRN: convs N(0, sqrt(2/(k^2 c_out))), BN 1/0, Linear default weight + zero bias
    wrn = build(osp.join(AUX_CONFIGS, 'wrn16_2_aux.py'), 'cpu')
    conv = wrn.aux_branches[2].extractor[0].layer[0].conv1
    assert abs(conv.weight.std().item() - math.sqrt(2 / (9 * conv.out_channels))) < 0.005
    bn = wrn.aux_branches[0].bn
    assert torch.equal(bn.weight, torch.ones_like(bn.weight)) and not bn.bias.any()
    for std, bias in _fc_stats(wrn):
        assert bias == 0 and abs(std - 1 / math.sqrt(3 * 128)) < 0.003  # kaiming-uniform a=√5
    # MobileNetV2: Linear N(0, 0.01), zero bias
    mbv2 = build(osp.join(AUX_CONFIGS, 'mobilenetv2_aux.py'), 'cpu')
    for std, bias in _fc_stats(mbv2):
        assert bias == 0 and abs(std - 0.01) < 0.001
    # VGG (reference quirk: aux init never called) and ShuffleV2 (no init): PyTorch defaults,
    # so the Linear biases are not zero and conv biases are uniform, not zero
    vgg = build(osp.join(AUX_CONFIGS, 'vgg8_aux.py'), 'cpu')
    assert all(bias > 0 for _, bias in _fc_stats(vgg))
    first_conv = vgg.aux_branches[0].extractor[1][0]
    assert isinstance(first_conv, nn.Conv2d) and first_conv.bias.abs().max() > 0
    # while the VGG backbone keeps its own reference init (conv bias 0)
    assert not vgg.backbone.block1[0].bias.any()
    # init_weights() re-applies the same style (VGG stays default-initialised)
    vgg.init_weights()
    assert all(bias > 0 for _, bias in _fc_stats(vgg))


def test_branch_count_and_backbone_type_are_checked():
    with pytest.raises(TypeError, match='WideResNetCifar'):
        MODELS.build(
            dict(
                type='AuxBranchClassifier',
                backbone=dict(type='ResNetCifar', arch='resnet8'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=10, in_channels=64),
                aux_branches=dict(type='WRNAuxBranches')))
    assert WRNAuxBranches.init_style == 'normal'
