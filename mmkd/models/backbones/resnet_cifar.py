"""CIFAR ResNets of the distillation benchmark (resnet8 ... resnet110, resnet8x4, resnet32x4).

Architecture facts: RepDistiller models/resnet.py. A 3×3 stem, three stages of ``n`` basic
blocks (depth = 6n + 2) at 32, 16 and 8 pixels, global pooling. Module names follow the reference
layout (``conv1``/``bn1``/``layer1..3``) so reference checkpoints convert by prefixing
``backbone.``.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv_bn_shortcut(in_planes: int, out_planes: int, stride: int) -> nn.Sequential:
    """1×1 projection shortcut (conv + BN) used when stride or width changes."""
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False), nn.BatchNorm2d(out_planes))


class BasicBlock(nn.Module):
    """conv3×3(s)-BN-ReLU-conv3×3-BN, + shortcut, ReLU. Returns ``(out, preact)``."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes * self.expansion:
            self.downsample = conv_bn_shortcut(in_planes, planes * self.expansion, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        preact = self.bn2(self.conv2(out)) + identity
        return F.relu(preact), preact


class Bottleneck(nn.Module):
    """1×1-BN-ReLU, 3×3(s)-BN-ReLU, 1×1(×4)-BN, + shortcut, ReLU. Returns ``(out, preact)``."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.downsample = None
        if stride != 1 or in_planes != planes * self.expansion:
            self.downsample = conv_bn_shortcut(in_planes, planes * self.expansion, stride)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        preact = self.bn3(self.conv3(out)) + identity
        return F.relu(preact), preact


class ResStage(nn.Sequential):
    """A stage of residual blocks; also returns the last block's pre-ReLU sum."""

    def forward(self, x):
        preact = None
        for block in self:
            x, preact = block(x)
        return x, preact


def make_res_stage(block, in_planes: int, planes: int, num_blocks: int, stride: int) -> ResStage:
    blocks = []
    for i in range(num_blocks):
        blocks.append(block(in_planes, planes, stride if i == 0 else 1))
        in_planes = planes * block.expansion
    return ResStage(*blocks)


def kaiming_fan_out_init(module: nn.Module) -> None:
    """Conv kaiming-normal (fan_out, relu); BN weight 1, bias 0 (reference ResNet init)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


@MODELS.register_module()
class ResNetCifar(BaseBackbone):
    """CIFAR ResNet of RepDistiller/SemCKD: ``ResNet(depth, num_filters, block)``.

    Args:
        depth: 6n+2 for basic blocks (8, 14, 20, 32, 44, 56, 110), 9n+2 for bottlenecks.
        num_filters: stem width then the three stage widths, e.g. ``(16, 16, 32, 64)`` or
            ``(32, 64, 128, 256)`` for the ``x4`` models.
        block_type: ``'basic'`` or ``'bottleneck'``.
        out_indices: stage outputs to return from :meth:`forward` (0..2).
    """

    num_stages = 3
    arch_settings = {
        'resnet8': (8, (16, 16, 32, 64)),
        'resnet14': (14, (16, 16, 32, 64)),
        'resnet20': (20, (16, 16, 32, 64)),
        'resnet32': (32, (16, 16, 32, 64)),
        'resnet44': (44, (16, 16, 32, 64)),
        'resnet56': (56, (16, 16, 32, 64)),
        'resnet110': (110, (16, 16, 32, 64)),
        'resnet8x4': (8, (32, 64, 128, 256)),
        'resnet32x4': (32, (32, 64, 128, 256)),
        'resnet8x4_double': (8, (64, 128, 256, 512)),
    }

    def __init__(self,
                 arch: Optional[str] = None,
                 depth: Optional[int] = None,
                 num_filters: Sequence[int] = (16, 16, 32, 64),
                 block_type: str = 'basic',
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if arch is not None:
            if arch not in self.arch_settings:
                raise KeyError(f'Unknown ResNetCifar arch {arch!r}; known: '
                               f'{", ".join(self.arch_settings)}')
            depth, num_filters = self.arch_settings[arch]
        if depth is None:
            raise ValueError('ResNetCifar needs `arch` or `depth`')
        if block_type == 'basic':
            if (depth - 2) % 6 != 0:
                raise ValueError(f'basic-block depth must be 6n+2 (8, 14, 20, ...), got {depth}')
            block, n = BasicBlock, (depth - 2) // 6
        elif block_type == 'bottleneck':
            if (depth - 2) % 9 != 0:
                raise ValueError(f'bottleneck depth must be 9n+2, got {depth}')
            block, n = Bottleneck, (depth - 2) // 9
        else:
            raise ValueError(f"block_type must be 'basic' or 'bottleneck', got {block_type!r}")
        self.depth = depth
        self.num_filters = tuple(num_filters)
        self.conv1 = nn.Conv2d(3, num_filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.layer1 = make_res_stage(block, num_filters[0], num_filters[1], n, 1)
        self.layer2 = make_res_stage(block, num_filters[1] * block.expansion, num_filters[2], n, 2)
        self.layer3 = make_res_stage(block, num_filters[2] * block.expansion, num_filters[3], n, 2)
        self.out_channels = num_filters[3] * block.expansion
        self.out_indices  # validate early
        self.reference_init()

    def reference_init(self) -> None:
        kaiming_fan_out_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = F.relu(self.bn1(self.conv1(x)))
        stages, preact_stages = [], []
        out = stem
        for layer in (self.layer1, self.layer2, self.layer3):
            out, pre = layer(out)
            stages.append(out)
            preact_stages.append(pre)
        return BackboneFeatures(
            stem=stem, stages=stages, final=out, preact_stages=preact_stages if preact else None)
