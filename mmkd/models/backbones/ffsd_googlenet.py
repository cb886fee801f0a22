"""FFSD's CIFAR GoogLeNet (Inception-v1): SJLeo/FFSD ``models/googlenet_cifar.py``
(``googlenet``, ``layer_cfg=None``).

A 3×3 stem conv (3 → 192, BN, ReLU; no down-sampling), inception a3/b3 at 32×32, max-pool
(3, s2, p1), a4–e4 at 16×16, max-pool, a5/b5 at 8×8, AvgPool(8) and ``Linear(1024)`` (no
dropout). Each inception block has four branches — 1×1; 1×1 → 3×3; the "5×5" branch as 1×1 →
3×3 → 3×3; max-pool(3, s1, p1) → 1×1 — each conv (with bias) followed by BN and ReLU, outputs
concatenated. Init: conv weights ``N(0, sqrt(2/(k·k·C_out)))``, conv biases PyTorch's default,
BN ``γ = 1, β = 0``, the classifier PyTorch's default. This is not the Tf-KD GoogLeNet of mmkd's
zoo (no BN-eps quirk, no dropout, different init and names).

Module names follow the reference (``pre_layers``, ``inception_a3`` … ``inception_b5`` with
``branch1x1``/``branch3x3``/``branch5x5``/``branch_pool``; classifier ``linear``). Stages:
``stage1`` = b3 (480×32²), ``stage2`` = e4 (832×16²), ``stage3`` = b5 (1024×8², also ``final``):
FFSD's taps ``inception_b3``, ``inception_e4``, ``inception_b5``.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .ffsd_init import ffsd_reference_init

#: (n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes) of a3, b3, a4, b4, c4, d4, e4, a5, b5
INCEPTION_CFG = [('a3', 64, 96, 128, 16, 32, 32), ('b3', 128, 128, 192, 32, 96, 64),
                 ('a4', 192, 96, 208, 16, 48, 64), ('b4', 160, 112, 224, 24, 64, 64),
                 ('c4', 128, 128, 256, 24, 64, 64), ('d4', 112, 144, 288, 32, 64, 64),
                 ('e4', 256, 160, 320, 32, 128, 128), ('a5', 256, 160, 320, 32, 128, 128),
                 ('b5', 384, 192, 384, 48, 128, 128)]


def _conv_bn_relu(in_planes: int, out_planes: int, kernel: int) -> list:
    return [
        nn.Conv2d(in_planes, out_planes, kernel, padding=kernel // 2),
        nn.BatchNorm2d(out_planes),
        nn.ReLU()
    ]


class FFSDInception(nn.Module):
    """The reference ``Inception`` block (the "5×5" branch is two 3×3 convs)."""

    def __init__(self, in_planes, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes):
        super().__init__()
        self.branch1x1 = nn.Sequential(*_conv_bn_relu(in_planes, n1x1, 1))
        self.branch3x3 = nn.Sequential(*_conv_bn_relu(in_planes, n3x3red, 1),
                                       *_conv_bn_relu(n3x3red, n3x3, 3))
        self.branch5x5 = nn.Sequential(*_conv_bn_relu(in_planes, n5x5red, 1),
                                       *_conv_bn_relu(n5x5red, n5x5, 3),
                                       *_conv_bn_relu(n5x5, n5x5, 3))
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), *_conv_bn_relu(in_planes, pool_planes, 1))
        self.out_channels = n1x1 + n3x3 + n5x5 + pool_planes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [self.branch1x1(x),
             self.branch3x3(x),
             self.branch5x5(x),
             self.branch_pool(x)], 1)


@MODELS.register_module()
class FFSDGoogLeNet(BaseBackbone):
    """FFSD's CIFAR GoogLeNet (see the module docstring). ``out_indices`` 0..2: the stages."""

    num_stages = 3
    reference_classifier_prefix = 'linear.'

    def __init__(self, out_indices: Sequence[int] = (-1, ), init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.pre_layers = nn.Sequential(*_conv_bn_relu(3, 192, 3))
        in_planes = 192
        for name, *cfg in INCEPTION_CFG:
            block = FFSDInception(in_planes, *cfg)
            setattr(self, f'inception_{name}', block)
            in_planes = block.out_channels
        self.maxpool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.out_channels = in_planes
        self.out_indices  # validate early
        self.reference_init()

    def reference_init(self) -> None:
        ffsd_reference_init(self, reset_convs=True)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.pre_layers(x)
        f1 = self.inception_b3(self.inception_a3(stem))
        out = self.maxpool1(f1)
        for name in ('a4', 'b4', 'c4', 'd4', 'e4'):
            out = getattr(self, f'inception_{name}')(out)
        f2 = out
        f3 = self.inception_b5(self.inception_a5(self.maxpool2(f2)))
        return BackboneFeatures(stem=stem, stages=[f1, f2, f3], final=f3)
