"""FFSD's CIFAR DenseNet-40-12: SJLeo/FFSD ``models/densenet_cifar.py`` (``DenseNet`` with its
defaults: depth 40, growth rate 12, basic blocks — no bottleneck — and compression 1).

A 3×3 stem conv to 24 channels; three dense blocks of 12 ``BN-ReLU-conv3×3(growth 12)`` layers
whose output is concatenated to their input (24 → 168, 168 → 312, 312 → 456 channels); between
them a transition ``BN-ReLU-conv1×1 (no compression)-AvgPool2``; then BN-ReLU and AvgPool(8).
No conv has a bias. Init: conv weights ``N(0, sqrt(2/(k·k·C_out)))``, BN ``γ = 1, β = 0``, the
classifier PyTorch's default. This is not the DenseNet of mmkd's zoo.

Module names follow the reference (``conv1``, ``dense1..3``, ``trans1..2``, ``bn``; classifier
``fc``). Features: ``stem`` = ``conv1``; stages = the outputs of ``dense1..3`` (before the
transitions); ``final`` = ``relu(bn(dense3))``. FFSD taps ``stage1, stage2, final``
(``dense1`` 168×32², ``dense2`` 312×16², ``relu`` 456×8²).
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .ffsd_init import ffsd_reference_init


class FFSDDenseBasicBlock(nn.Module):
    """``DenseBasicBlock``: ``cat(x, conv3×3(relu(bn(x))))`` (optional dropout)."""

    def __init__(self, in_planes: int, growth: int, drop_rate: float = 0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, growth, 3, padding=1, bias=False)
        self.drop_rate = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.bn1(x)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return torch.cat((x, out), 1)


class FFSDTransition(nn.Module):
    """``Transition``: BN-ReLU-conv1×1-AvgPool2."""

    def __init__(self, in_planes: int, out_planes: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(self.conv1(F.relu(self.bn1(x))), 2)


@MODELS.register_module()
class FFSDDenseNet(BaseBackbone):
    """FFSD's ``DenseNet(depth, growthRate, compressionRate, dropRate)`` (basic blocks).

    Args:
        depth: 3n + 4 (40: 12 layers per dense block).
        growth_rate: channels each layer adds (12).
        compression_rate: transition width divisor (1: none).
        drop_rate: dropout after each dense layer (0).
        out_indices: 0..2 the dense blocks, 3 the final map.
    """

    num_stages = 3
    has_post_block = True
    reference_classifier_prefix = 'fc.'

    def __init__(self,
                 depth: int = 40,
                 growth_rate: int = 12,
                 compression_rate: int = 1,
                 drop_rate: float = 0.0,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if (depth - 4) % 3 != 0:
            raise ValueError(f'FFSDDenseNet depth must be 3n+4 (40, ...), got {depth}')
        n = (depth - 4) // 3
        self.growth_rate, self.drop_rate = int(growth_rate), float(drop_rate)
        self.in_planes = 2 * self.growth_rate
        self.conv1 = nn.Conv2d(3, self.in_planes, 3, padding=1, bias=False)
        self.dense1 = self._dense_block(n)
        self.trans1 = self._transition(compression_rate)
        self.dense2 = self._dense_block(n)
        self.trans2 = self._transition(compression_rate)
        self.dense3 = self._dense_block(n)
        self.bn = nn.BatchNorm2d(self.in_planes)
        self.out_channels = self.in_planes
        self.out_indices  # validate early
        self.reference_init()

    def _dense_block(self, num_layers: int) -> nn.Sequential:
        layers = []
        for _ in range(num_layers):
            layers.append(FFSDDenseBasicBlock(self.in_planes, self.growth_rate, self.drop_rate))
            self.in_planes += self.growth_rate
        return nn.Sequential(*layers)

    def _transition(self, compression_rate: int) -> FFSDTransition:
        in_planes = self.in_planes
        self.in_planes = int(math.floor(in_planes // compression_rate))
        return FFSDTransition(in_planes, self.in_planes)

    def reference_init(self) -> None:
        ffsd_reference_init(self, reset_convs=False)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.conv1(x)
        f1 = self.dense1(stem)
        f2 = self.dense2(self.trans1(f1))
        f3 = self.dense3(self.trans2(f2))
        final = F.relu(self.bn(f3))
        return BackboneFeatures(stem=stem, stages=[f1, f2, f3], final=final)
