"""CIFAR ShuffleNetV2 1× of Tf-KD (``model/shufflenetv2.py``, from weiaicunzai/pytorch-cifar100).

Not RepDistiller's ``ShuffleV2``. Architecture facts (Tf-KD model/*.py):

* stem ``pre``: 3×3 conv stride 1, 3→24 (+bias), BN; **no ReLU and no max-pool**;
* stages ``stage2``/``stage3``/``stage4`` with 116/232/464 channels: one stride-2 unit (both
  branches process the full input; the shortcut branch is depthwise 3×3(s)-BN-1×1-BN-ReLU) followed
  by 3/7/3 stride-1 units (channel split in halves, the right half goes through
  1×1-BN-ReLU-dw3×3-BN-1×1-BN-ReLU), each unit ending with concat + channel shuffle (2 groups);
* post block ``conv5``: 1×1 conv 464→1024 (+bias), BN, ReLU; then global pooling and ``fc``.

Every conv has a bias; initialisation is PyTorch's default.

Outputs (input 32×32): ``stem`` 24×32×32 (BN output, no activation); stages 116×16×16,
232×8×8, 464×4×4; ``final`` (post block) 1024×4×4; ``out_indices`` 0..2 stages, 3 the post block.
Unit outputs are shuffled concatenations of ReLU outputs with no residual sum, so ``preact`` is
accepted and ignored.

Module names are the reference's, so a reference state_dict converts by prefix
(``fc.*`` → ``head.fc.*``): :func:`convert_reference_state_dict`.
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .resnet_v2_cifar import convert_by_prefix, pytorch_default_init


def convert_reference_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Tf-KD ``model/shufflenetv2.py`` → mmkd: ``fc.*`` → ``head.fc.*``, rest → ``backbone.*``."""
    return convert_by_prefix(state_dict, 'fc.')


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit; a down-sampling unit when ``stride != 1`` or the width changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.stride = stride
        self.in_channels = in_channels
        self.out_channels = out_channels
        half = out_channels // 2
        if stride != 1 or in_channels != out_channels:
            self.residual = nn.Sequential(
                nn.Conv2d(in_channels, in_channels, 1), nn.BatchNorm2d(in_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(
                    in_channels, in_channels, 3, stride=stride, padding=1, groups=in_channels),
                nn.BatchNorm2d(in_channels), nn.Conv2d(in_channels, half, 1), nn.BatchNorm2d(half),
                nn.ReLU(inplace=True))
            self.shortcut = nn.Sequential(
                nn.Conv2d(
                    in_channels, in_channels, 3, stride=stride, padding=1, groups=in_channels),
                nn.BatchNorm2d(in_channels), nn.Conv2d(in_channels, half, 1), nn.BatchNorm2d(half),
                nn.ReLU(inplace=True))
        else:
            c = in_channels // 2
            self.shortcut = nn.Sequential()
            self.residual = nn.Sequential(
                nn.Conv2d(c, c, 1), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, stride=stride, padding=1, groups=c), nn.BatchNorm2d(c),
                nn.Conv2d(c, c, 1), nn.BatchNorm2d(c), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1 and self.in_channels == self.out_channels:
            shortcut, residual = torch.split(x, self.in_channels // 2, dim=1)
        else:
            shortcut = residual = x
        out = torch.cat([self.shortcut(shortcut), self.residual(residual)], dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class ShuffleNetV2TfKD(BaseBackbone):
    """Tf-KD's CIFAR ShuffleNetV2 (``shufflenetv2(class_num=100)``, ratio 1) without ``fc``.

    Args:
        arch: ``'1.0x'`` (116/232/464/1024, the Tf-KD model); the reference file's other ratios
            ``'0.5x'``, ``'1.5x'``, ``'2.0x'`` are also accepted.
        out_indices: outputs returned by :meth:`forward`: 0..2 the stages, 3 the 1×1 conv post
            block (the default ``-1``).
    """

    num_stages = 3
    has_post_block = True
    arch_settings = {
        '0.5x': (48, 96, 192, 1024),
        '1.0x': (116, 232, 464, 1024),
        '1.5x': (176, 352, 704, 1024),
        '2.0x': (244, 488, 976, 2048),
    }
    #: number of stride-1 units after the stride-2 unit of each stage
    stage_repeats = (3, 7, 3)

    def __init__(self,
                 arch: str = '1.0x',
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown ShuffleNetV2TfKD arch {arch!r}; known: '
                           f'{", ".join(self.arch_settings)}')
        self.arch = arch
        channels = self.arch_settings[arch]
        self.pre = nn.Sequential(nn.Conv2d(3, 24, 3, padding=1), nn.BatchNorm2d(24))
        in_ch = 24
        for i, (c, repeat) in enumerate(zip(channels[:3], self.stage_repeats)):
            units = [ShuffleUnit(in_ch, c, 2)] + [ShuffleUnit(c, c, 1) for _ in range(repeat)]
            self.add_module(f'stage{i + 2}', nn.Sequential(*units))
            in_ch = c
        self.conv5 = nn.Sequential(
            nn.Conv2d(in_ch, channels[3], 1), nn.BatchNorm2d(channels[3]), nn.ReLU(inplace=True))
        self.out_channels = channels[3]
        self.reference_init()

    def reference_init(self) -> None:
        pytorch_default_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.pre(x)
        out = stem
        stages = []
        for layer in (self.stage2, self.stage3, self.stage4):
            out = layer(out)
            stages.append(out)
        final = self.conv5(out)
        return BackboneFeatures(stem=stem, stages=stages, final=final)
