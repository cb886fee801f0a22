"""CIFAR MobileNetV2 of the distillation benchmark ("MobileNetV2" = ``mobile_half``: T=6,
width 0.5).

Architecture facts: RepDistiller models/mobilenetv2.py (the "Route Constrained Optimization"
variant used by RepDistiller/SemCKD):

* Stem ``conv1``: conv3×3 stride 2 (3 → int(32·w)) + BN + ReLU, so the network runs at ≤16×16 on
  CIFAR.
* Seven inverted-residual groups ``blocks[0..6]`` with (t, c, n, s) = (1,16,1,1), (T,24,2,1),
  (T,32,3,2), (T,64,4,2), (T,96,3,1), (T,160,3,2), (T,320,1,1), channels ``int(c·w)``. Each block is
  expand-1×1-BN-ReLU, depthwise-3×3(s)-BN-ReLU, project-1×1-BN (linear), with a residual add when
  stride is 1 and in == out. Unlike the original MobileNetV2, the t=1 block keeps its expand conv.
* Post-stage block ``conv2``: conv1×1 → 1280 + BN + ReLU (1280 stays 1280 for w ≤ 1, else
  ``int(1280·w)``).

Outputs of :meth:`MobileNetV2Cifar.forward_features` (32×32 input, w = 0.5):

* ``stem``: 16@16.
* ``stages``: after ``blocks[1]`` (12@16), ``blocks[2]`` (16@8), ``blocks[4]`` (48@4) and
  ``blocks[6]`` (160@2). These are linear-bottleneck outputs (no ReLU).
* ``final``: ``conv2`` output, 1280@2×2 (output index 4); the reference's ``AvgPool2d(2,
  ceil_mode=True)`` is global pooling at this size, i.e. our ``GlobalAveragePooling`` neck.
* ``preact`` is accepted and ignored, as in the reference.

Checkpoint mapping: the reference module names are kept (``conv1.{0,1}``,
``blocks.{g}.{i}.conv.{0..7}``, ``conv2.{0,1}``), so every reference key maps to ``backbone.<key>``
except ``classifier.0.*`` (a one-element Sequential holding the Linear) which becomes ``head.fc.*``.
The reference constructor's ``print(T, width_mult)`` is not reproduced.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .wrn import conv_normal_fan_out_init


def conv_bn_relu(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class InvertedResidual(nn.Module):
    """Expand 1×1-BN-ReLU, depthwise 3×3(s)-BN-ReLU, project 1×1-BN; residual if stride 1 and
    in == out. The layers live in ``.conv`` (indices 0..7, reference layout)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'InvertedResidual stride must be 1 or 2, got {stride}')
        mid = in_channels * expand_ratio
        self.stride = stride
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, mid, 1, 1, 0, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_res_connect else out


@MODELS.register_module()
class MobileNetV2Cifar(BaseBackbone):
    """CIFAR MobileNetV2 of RepDistiller/SemCKD: ``MobileNetV2(T, width_mult)``.

    Args:
        width_mult: channel multiplier (0.5 = the benchmark's ``mobile_half``).
        expand_ratio: the reference's ``T``, the expansion of every group but the first (6).
        out_indices: outputs returned by :meth:`forward`: 0..3 are the four stage outputs, 4 is
            the 1280-channel post-stage map.
    """

    num_stages = 4
    has_post_block = True
    #: (t, c, n, s); t = None means "use expand_ratio"
    block_settings = ((1, 16, 1, 1), (None, 24, 2, 1), (None, 32, 3, 2), (None, 64, 4, 2),
                      (None, 96, 3, 1), (None, 160, 3, 2), (None, 320, 1, 1))
    #: indices of ``blocks`` whose outputs are the stage features f1..f4
    stage_blocks = (1, 2, 4, 6)

    def __init__(self,
                 width_mult: float = 0.5,
                 expand_ratio: int = 6,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.width_mult = width_mult
        self.expand_ratio = expand_ratio
        in_channels = int(32 * width_mult)
        self.conv1 = conv_bn_relu(3, in_channels, 3, stride=2)
        self.blocks = nn.ModuleList()
        for t, c, n, s in self.block_settings:
            t = expand_ratio if t is None else t
            out_channels = int(c * width_mult)
            group = []
            for i in range(n):
                group.append(InvertedResidual(in_channels, out_channels, s if i == 0 else 1, t))
                in_channels = out_channels
            self.blocks.append(nn.Sequential(*group))
        self.last_channel = int(1280 * width_mult) if width_mult > 1.0 else 1280
        self.conv2 = conv_bn_relu(in_channels, self.last_channel, 1)
        self.out_channels = self.last_channel
        self.out_indices  # validate early
        self.reference_init()

    def reference_init(self) -> None:
        conv_normal_fan_out_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        # ``preact`` is ignored: the stage outputs are linear-bottleneck outputs (reference).
        stem = self.conv1(x)
        out = stem
        stages = []
        for i, group in enumerate(self.blocks):
            out = group(out)
            if i in self.stage_blocks:
                stages.append(out)
        final = self.conv2(out)
        return BackboneFeatures(stem=stem, stages=stages, final=final)
