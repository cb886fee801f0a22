"""CIFAR ResNet-18/34/50 in the kuangliu/pytorch-cifar layout (Tf-KD ``model/resnet.py``,
RepDistiller ``models/resnetv2.py``).

Architecture facts: Tf-KD model/*.py and RepDistiller models/resnetv2.py. A 3×3 stride-1
stem (64 channels, BN, ReLU; no max-pool), four stages of basic blocks (ResNet-18/34) or
bottlenecks with expansion 4 (ResNet-50) at strides 1, 2, 2, 2, then global pooling and a Linear.

Outputs (input 32×32): ``stem`` 64×32×32; ``stages`` 64/128/256/512 (×4 for ResNet-50) at
32, 16, 8, 4 pixels; ``final`` = last stage output. ``preact=True`` returns, for every stage, the
last block's residual sum before its final ReLU (RepDistiller's ``f1_pre..f4_pre``).

**Tf-KD vs RepDistiller.** The two reference files build the *same* network: identical module
names, identical state_dict keys (122 for ResNet-18, 320 for ResNet-50) and parameter counts
(ResNet-18 11,220,132; ResNet-50 23,705,252 with 100 classes). Differences:

* initialisation: RepDistiller applies kaiming-normal (fan_out, relu) to every conv and sets BN
  weight/bias to 1/0; Tf-KD leaves PyTorch's defaults (kaiming-uniform ``a=sqrt(5)`` convs; BN is
  1/0 by default anyway). Select with ``init='repdistiller'`` (default) or ``init='tfkd'``.
  Both leave the classifier at PyTorch's default Linear init.
* pooling: Tf-KD uses a fixed ``avg_pool2d(4)``, RepDistiller an adaptive average pool. Identical
  for 32×32 inputs (the last map is 4×4); mmkd uses the neck's global average pooling.

Module names follow the reference (``conv1``, ``bn1``, ``layer1..4``, blocks with ``conv*``/``bn*``
and a ``shortcut`` Sequential), so a reference state_dict converts by prefix; see
:func:`convert_reference_state_dict`.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .resnet_cifar import ResStage, kaiming_fan_out_init


def pytorch_default_init(module: nn.Module) -> None:
    """Re-run ``reset_parameters`` of every sub-module: PyTorch's default initialisation."""
    for m in module.modules():
        if m is not module and hasattr(m, 'reset_parameters'):
            m.reset_parameters()


def convert_by_prefix(state_dict: Dict[str, torch.Tensor],
                      classifier_prefix: str,
                      backbone_prefix: str = 'backbone.') -> 'OrderedDict[str, torch.Tensor]':
    """Map a reference state_dict onto an mmkd ``ImageClassifier``.

    A leading ``module.`` (``nn.DataParallel`` checkpoints) is stripped; keys starting with
    ``classifier_prefix`` (e.g. ``'linear.'``) become ``head.fc.*``; every other key gets
    ``backbone_prefix``. Tensors are passed through unchanged.
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('module.'):
            key = key[len('module.'):]
        if key.startswith(classifier_prefix):
            out['head.fc.' + key[len(classifier_prefix):]] = value
        else:
            out[backbone_prefix + key] = value
    return out


def convert_reference_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Tf-KD ``model/resnet.py`` / RepDistiller ``models/resnetv2.py`` → mmkd.

    ``linear.{weight,bias}`` → ``head.fc.{weight,bias}``; everything else → ``backbone.<key>``.
    """
    return convert_by_prefix(state_dict, 'linear.')


def _projection(in_planes: int, out_planes: int, stride: int) -> nn.Sequential:
    """``shortcut``: empty (identity) or 1×1 conv(stride) + BN, as in the reference."""
    if stride == 1 and in_planes == out_planes:
        return nn.Sequential()
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False), nn.BatchNorm2d(out_planes))


class ShortcutBasicBlock(nn.Module):
    """conv3×3(s)-BN-ReLU-conv3×3-BN, + ``shortcut``, ReLU. Returns ``(out, preact)``."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _projection(in_planes, planes * self.expansion, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        preact = self.bn2(self.conv2(out)) + self.shortcut(x)
        return F.relu(preact), preact


class ShortcutBottleneck(nn.Module):
    """1×1-BN-ReLU, 3×3(s)-BN-ReLU, 1×1(×4)-BN, + ``shortcut``, ReLU. Returns ``(out, preact)``."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.shortcut = _projection(in_planes, planes * self.expansion, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        preact = self.bn3(self.conv3(out)) + self.shortcut(x)
        return F.relu(preact), preact


@MODELS.register_module()
class ResNetV2Cifar(BaseBackbone):
    """kuangliu-style CIFAR ResNet (Tf-KD ``ResNet18/34/50``, RepDistiller ``ResNet50``).

    Args:
        arch: ``'resnet18'``, ``'resnet34'`` or ``'resnet50'``.
        init: ``'repdistiller'`` (kaiming-normal fan_out convs, BN 1/0; RepDistiller's
            resnetv2.py) or ``'tfkd'`` (PyTorch default init; Tf-KD's model/resnet.py).
        out_indices: stage outputs returned by :meth:`forward` (0..3).
    """

    num_stages = 4
    arch_settings = {
        'resnet18': (ShortcutBasicBlock, (2, 2, 2, 2)),
        'resnet34': (ShortcutBasicBlock, (3, 4, 6, 3)),
        'resnet50': (ShortcutBottleneck, (3, 4, 6, 3)),
    }
    inits = ('repdistiller', 'tfkd')

    def __init__(self,
                 arch: str = 'resnet18',
                 init: str = 'repdistiller',
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown ResNetV2Cifar arch {arch!r}; known: '
                           f'{", ".join(self.arch_settings)}')
        if init not in self.inits:
            raise ValueError(f'ResNetV2Cifar init must be one of {self.inits}, got {init!r}')
        self.arch = arch
        self.init = init
        block, num_blocks = self.arch_settings[arch]
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        in_planes = 64
        for i, (planes, n, stride) in enumerate(zip((64, 128, 256, 512), num_blocks, (1, 2, 2, 2))):
            blocks = []
            for j in range(n):
                blocks.append(block(in_planes, planes, stride if j == 0 else 1))
                in_planes = planes * block.expansion
            self.add_module(f'layer{i + 1}', ResStage(*blocks))
        self.out_channels = in_planes
        self.reference_init()

    def reference_init(self) -> None:
        if self.init == 'repdistiller':
            kaiming_fan_out_init(self)
        else:
            pytorch_default_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = F.relu(self.bn1(self.conv1(x)))
        stages, preact_stages = [], []
        out = stem
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            out, pre = layer(out)
            stages.append(out)
            preact_stages.append(pre)
        return BackboneFeatures(
            stem=stem, stages=stages, final=out, preact_stages=preact_stages if preact else None)
