"""Wide ResNets of the distillation benchmark (wrn16_1, wrn16_2, wrn40_1, wrn40_2).

Architecture facts: RepDistiller models/wrn.py. A pre-activation network: a bare 3×3 stem
conv (no BN/ReLU), three groups of ``n`` blocks (depth = 6n + 4) at 32, 16 and 8 pixels with widths
``16k, 32k, 64k``, then a final BN-ReLU before global pooling.

Outputs of :meth:`WideResNetCifar.forward_features`:

* ``stem``: the raw stem conv output (16@32).
* ``stages``: the **raw residual sums** of block1..block3 (no BN, no ReLU). With ``preact=True``
  each is passed through the BN that the *next* unit applies to it (``block2.layer[0].bn1``,
  ``block3.layer[0].bn1`` and the final ``bn1``), without the ReLU, as the reference does.
* ``final``: ``ReLU(bn1(f3))``, the map the classifier pools (the post-stage block, output index 3).

Checkpoint mapping: the reference ``WideResNet`` module names are kept (``conv1``,
``block{1,2,3}.layer.{i}.{bn1,conv1,bn2,conv2,convShortcut}``, ``bn1``), so every reference key
maps to ``backbone.<key>`` except ``fc.*`` which becomes ``head.fc.*``.

Reference quirk kept: with ``preact=True`` the next-unit BN is *called a second time* on the same
input, so in train mode its running statistics are updated twice per forward (as in the reference).
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone


class WideBasicBlock(nn.Module):
    """Pre-activation block: BN-ReLU-conv3×3(s)-BN-ReLU-conv3×3, plus a shortcut.

    When the width changes, the shortcut is a bias-free 1×1 conv (``convShortcut``) applied to the
    BN-ReLU'd input; otherwise it is the raw input. Returns the raw sum.
    """

    def __init__(self, in_planes: int, out_planes: int, stride: int, drop_rate: float = 0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, stride=1, padding=1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_planes == out_planes
        self.convShortcut = None
        if not self.equal_in_out:
            self.convShortcut = nn.Conv2d(
                in_planes, out_planes, 1, stride=stride, padding=0, bias=False)

    def forward(self, x):
        activated = F.relu(self.bn1(x))
        out = F.relu(self.bn2(self.conv1(activated)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        shortcut = x if self.equal_in_out else self.convShortcut(activated)
        return shortcut + out


class WideGroup(nn.Module):
    """A group of ``num_blocks`` wide blocks, held in ``.layer`` (reference layout)."""

    def __init__(self,
                 num_blocks: int,
                 in_planes: int,
                 out_planes: int,
                 stride: int,
                 drop_rate: float = 0.0):
        super().__init__()
        self.layer = nn.Sequential(*[
            WideBasicBlock(in_planes if i == 0 else out_planes, out_planes, stride if i == 0 else 1,
                           drop_rate) for i in range(num_blocks)
        ])

    def forward(self, x):
        return self.layer(x)


def conv_normal_fan_out_init(module: nn.Module) -> None:
    """Reference WRN/VGG/MobileNetV2 init: conv weight ~ N(0, sqrt(2 / (k_h·k_w·C_out))), conv bias
    0; BN weight 1, bias 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0, math.sqrt(2.0 / n))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


@MODELS.register_module()
class WideResNetCifar(BaseBackbone):
    """CIFAR Wide ResNet of RepDistiller/SemCKD: ``WideResNet(depth, widen_factor)``.

    Args:
        arch: ``'wrn16_1'``, ``'wrn16_2'``, ``'wrn40_1'`` or ``'wrn40_2'`` (the reference spellings
            ``'wrn_40_2'`` etc. are accepted too). Overrides ``depth``/``widen_factor``.
        depth: 6n+4 (16, 22, 28, 40, ...).
        widen_factor: k; the stage widths are ``16k, 32k, 64k``.
        drop_rate: dropout inside each block (reference default and benchmark value: 0).
        out_indices: outputs returned by :meth:`forward`: 0..2 are the raw stage sums, 3 is the
            final BN-ReLU map.
    """

    num_stages = 3
    has_post_block = True
    arch_settings = {
        'wrn16_1': (16, 1),
        'wrn16_2': (16, 2),
        'wrn40_1': (40, 1),
        'wrn40_2': (40, 2),
    }

    def __init__(self,
                 arch: Optional[str] = None,
                 depth: Optional[int] = None,
                 widen_factor: int = 1,
                 drop_rate: float = 0.0,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if arch is not None:
            key = arch.replace('wrn_', 'wrn')
            if key not in self.arch_settings:
                raise KeyError(f'Unknown WideResNetCifar arch {arch!r}; known: '
                               f'{", ".join(self.arch_settings)}')
            depth, widen_factor = self.arch_settings[key]
        if depth is None:
            raise ValueError('WideResNetCifar needs `arch` or `depth`')
        if (depth - 4) % 6 != 0:
            raise ValueError(f'WRN depth must be 6n+4 (16, 22, 28, 40, ...), got {depth}')
        n = (depth - 4) // 6
        widths = (16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
        self.depth = depth
        self.widen_factor = widen_factor
        self.conv1 = nn.Conv2d(3, widths[0], 3, stride=1, padding=1, bias=False)
        self.block1 = WideGroup(n, widths[0], widths[1], 1, drop_rate)
        self.block2 = WideGroup(n, widths[1], widths[2], 2, drop_rate)
        self.block3 = WideGroup(n, widths[2], widths[3], 2, drop_rate)
        self.bn1 = nn.BatchNorm2d(widths[3])
        self.out_channels = widths[3]
        self.out_indices  # validate early
        self.reference_init()

    def reference_init(self) -> None:
        conv_normal_fan_out_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.conv1(x)
        f1 = self.block1(stem)
        f2 = self.block2(f1)
        f3 = self.block3(f2)
        final = F.relu(self.bn1(f3))
        preact_stages = None
        if preact:  # the reference's BN of the next block on f1, f2 (an extra BN call)
            preact_stages = [
                self.block2.layer[0].bn1(f1), self.block3.layer[0].bn1(f2),
                self.bn1(f3)
            ]
        return BackboneFeatures(
            stem=stem, stages=[f1, f2, f3], final=final, preact_stages=preact_stages)
