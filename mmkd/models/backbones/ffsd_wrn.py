"""FFSD's CIFAR wide ResNets (WRN-16-2, WRN-40-2, WRN-28-10): SJLeo/FFSD
``models/wideresnet_cifar.py`` (``Wide_ResNet``, ``wide_basic``).

This is not the RepDistiller WRN of mmkd's zoo (:mod:`mmkd.models.backbones.wrn`): the block is
``BN-ReLU-conv3×3 (-dropout) -BN-ReLU-conv3×3(stride)`` with the stride on the **second** conv,
every conv has a bias, the shortcut is a biased 1×1 conv only where the shape changes (identity
otherwise), blocks end without a ReLU, and the final BN (before ReLU and the 8×8 average pool) is
built with ``momentum=0.9`` (PyTorch's convention: each batch's statistics weigh 0.9 in the
running estimates) — a reference quirk kept here. Init: conv weights ``N(0, sqrt(2/(k·k·C_out)))``,
conv biases PyTorch's default, BN ``γ = 1, β = 0``, the classifier PyTorch's default.

Module names follow the reference (``conv1``, ``layer1..3``, ``bn1``; classifier ``linear``) so
released weights map by prefixing ``backbone.``. Features: ``stem`` = ``conv1``, stages = the
outputs of ``layer1..3`` (pre-activation sums), ``final`` = ``relu(bn1(layer3))`` (the
reference's ``relu1``). FFSD taps ``stage1, stage2, final`` (``layer1``, ``layer2``, ``relu1``).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .ffsd_init import ffsd_reference_init


class FFSDWideBasic(nn.Module):
    """``wide_basic``: pre-activation block, stride on conv2, biased convs, no final ReLU."""

    def __init__(self, in_planes: int, planes: int, dropout_rate: float, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, padding=1, bias=True)
        self.dropout = nn.Dropout(p=dropout_rate)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dropout(self.conv1(F.relu(self.bn1(x))))
        out = self.conv2(F.relu(self.bn2(out)))
        return out + self.shortcut(x)


@MODELS.register_module()
class FFSDWideResNet(BaseBackbone):
    """FFSD's ``Wide_ResNet(depth, widen_factor, dropout_rate)``.

    Args:
        arch: ``'wrn16_2'``, ``'wrn40_2'`` (dropout 0, the reference's ``wideresnet1602`` /
            ``wideresnet4002``) or ``'wrn28_10'`` (dropout 0.3, ``wideresnet2810``).
        depth, widen_factor, dropout_rate: explicit settings (depth = 6n + 4).
        final_bn_momentum: momentum of the last BN (reference 0.9).
        out_indices: 0..2 the stages, 3 the final map.
    """

    num_stages = 3
    has_post_block = True
    reference_classifier_prefix = 'linear.'
    arch_settings = {'wrn16_2': (16, 2, 0.0), 'wrn40_2': (40, 2, 0.0), 'wrn28_10': (28, 10, 0.3)}

    def __init__(self,
                 arch: Optional[str] = None,
                 depth: Optional[int] = None,
                 widen_factor: int = 2,
                 dropout_rate: float = 0.0,
                 final_bn_momentum: float = 0.9,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if arch is not None:
            if arch not in self.arch_settings:
                raise KeyError(f'Unknown FFSDWideResNet arch {arch!r}; known: '
                               f'{", ".join(self.arch_settings)}')
            depth, widen_factor, dropout_rate = self.arch_settings[arch]
        if depth is None or (depth - 4) % 6 != 0:
            raise ValueError(f'FFSDWideResNet depth must be 6n+4 (16, 28, 40, ...), got {depth}')
        n = (depth - 4) // 6
        widths = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.in_planes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=True)
        self.layer1 = self._wide_layer(widths[1], n, dropout_rate, 1)
        self.layer2 = self._wide_layer(widths[2], n, dropout_rate, 2)
        self.layer3 = self._wide_layer(widths[3], n, dropout_rate, 2)
        self.bn1 = nn.BatchNorm2d(widths[3], momentum=final_bn_momentum)
        self.out_channels = widths[3]
        self.out_indices  # validate early
        self.reference_init()

    def _wide_layer(self, planes: int, num_blocks: int, dropout_rate: float,
                    stride: int) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(FFSDWideBasic(self.in_planes, planes, dropout_rate, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def reference_init(self) -> None:
        ffsd_reference_init(self, reset_convs=True)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.conv1(x)
        f1 = self.layer1(stem)
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        final = F.relu(self.bn1(f3))
        return BackboneFeatures(stem=stem, stages=[f1, f2, f3], final=final)
