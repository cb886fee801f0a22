"""CIFAR ResNeXt-29 of Tf-KD (``model/resnext.py``, from prlz77/ResNeXt.pytorch).

Architecture facts: Tf-KD model/*.py. ``CifarResNeXt(cardinality=8, depth=29, widen_factor=4)``:
a 3×3 stem conv (3→64, no bias) + BN + ReLU, then three stages of (depth − 2) / 9 = 3 "type C"
bottlenecks (1×1 reduce to D, grouped 3×3 with ``cardinality`` groups, 1×1 expand, BN after each,
ReLU after the sum) with output widths 64·w, 128·w, 256·w = 256/512/1024 at strides 1, 2, 2 and
D = cardinality · out / w = 512/1024/2048. Then an 8×8 average pool and ``Linear(1024)``.

Parameter count with 100 classes: 34,518,948 (measured on the reference code; the Tf-KD README
quotes "34.53M").

Initialisation (reference): every conv weight kaiming-normal with ``mode='fan_out'`` and gain √2,
every BN weight 1, every bias 0; the classifier weight kaiming-normal with ``mode='fan_in'``
(gain √2) and bias 0; the classifier part is the head's ``init_cfg`` in the config.

Outputs (input 32×32): ``stem`` 64×32×32; stages 256×32×32, 512×16×16, 1024×8×8; ``final`` =
stage 3. ``preact=True`` gives each stage's last residual sum before the final ReLU.

Module names are the reference's (``conv_1_3x3``, ``bn_1``, ``stage_<i>.stage_<i>_bottleneck_<j>``
with ``conv_reduce``/``bn_reduce``/``conv_conv``/``bn``/``conv_expand``/``bn_expand`` and
``shortcut.shortcut_conv``/``shortcut.shortcut_bn``), so a reference state_dict converts by
prefix, after stripping the ``module.`` prefix of ``nn.DataParallel`` checkpoints (the Tf-KD
``base_resnext29/50.pth.tar`` De-KD teacher has it): :func:`convert_reference_state_dict`.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .resnet_cifar import ResStage
from .resnet_v2_cifar import convert_by_prefix


def convert_reference_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Tf-KD ``model/resnext.py`` → mmkd: strip ``module.``; ``classifier.*`` → ``head.fc.*``;
    rest → ``backbone.*``."""
    return convert_by_prefix(state_dict, 'classifier.')


class ResNeXtBottleneck(nn.Module):
    """Type-C ResNeXt bottleneck. Returns ``(out, preact)``.

    The projection shortcut exists only when the channel count changes (as in the reference).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, cardinality: int,
                 widen_factor: int):
        super().__init__()
        width = cardinality * out_channels // widen_factor
        self.conv_reduce = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn_reduce = nn.BatchNorm2d(width)
        self.conv_conv = nn.Conv2d(
            width, width, 3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.conv_expand = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn_expand = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if in_channels != out_channels:
            self.shortcut.add_module(
                'shortcut_conv', nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False))
            self.shortcut.add_module('shortcut_bn', nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = F.relu(self.bn_reduce(self.conv_reduce(x)))
        out = F.relu(self.bn(self.conv_conv(out)))
        preact = self.shortcut(x) + self.bn_expand(self.conv_expand(out))
        return F.relu(preact), preact


@MODELS.register_module()
class ResNeXtCifar(BaseBackbone):
    """Tf-KD's ``CifarResNeXt`` without the classifier.

    Args:
        arch: ``'resnext29_8x64d'`` (cardinality 8, depth 29, widen 4) or ``'resnext29_16x64d'``.
        out_indices: stage outputs returned by :meth:`forward` (0..2).
    """

    num_stages = 3
    # arch: (cardinality, depth, widen_factor)
    arch_settings = {
        'resnext29_8x64d': (8, 29, 4),
        'resnext29_16x64d': (16, 29, 4),
    }

    def __init__(self,
                 arch: str = 'resnext29_8x64d',
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown ResNeXtCifar arch {arch!r}; known: '
                           f'{", ".join(self.arch_settings)}')
        cardinality, depth, widen = self.arch_settings[arch]
        if (depth - 2) % 9 != 0:
            raise ValueError(f'ResNeXt depth must be 9n+2, got {depth}')
        self.arch = arch
        self.cardinality, self.depth, self.widen_factor = cardinality, depth, widen
        n = (depth - 2) // 9
        widths = (64, 64 * widen, 128 * widen, 256 * widen)
        self.conv_1_3x3 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn_1 = nn.BatchNorm2d(64)
        for i, stride in enumerate((1, 2, 2)):
            name = f'stage_{i + 1}'
            blocks = OrderedDict()
            for j in range(n):
                blocks[f'{name}_bottleneck_{j}'] = ResNeXtBottleneck(
                    widths[i] if j == 0 else widths[i + 1], widths[i + 1], stride if j == 0 else 1,
                    cardinality, widen)
            self.add_module(name, ResStage(blocks))
        self.out_channels = widths[-1]
        self.reference_init()

    def reference_init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = F.relu(self.bn_1(self.conv_1_3x3(x)))
        out = stem
        stages, preact_stages = [], []
        for layer in (self.stage_1, self.stage_2, self.stage_3):
            out, pre = layer(out)
            stages.append(out)
            preact_stages.append(pre)
        return BackboneFeatures(
            stem=stem, stages=stages, final=out, preact_stages=preact_stages if preact else None)
