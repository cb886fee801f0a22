"""CIFAR ShuffleNetV1 of the distillation benchmark ("ShuffleV1": widths 240/480/960, 4/8/4 blocks,
3 groups).

Architecture facts: RepDistiller models/ShuffleNetv1.py:

* Stem: conv1×1 3→24 + BN + ReLU at 32×32 (no max-pool).
* Bottleneck branch: grouped 1×1 conv → BN → ReLU → channel shuffle → depthwise 3×3 (stride) → BN
  → ReLU → grouped 1×1 (``groups``) → BN, mid width ``out/4``. The first grouped conv uses one
  group when the block input has exactly 24 channels (the reference tests the width, which in
  practice means the very first block), otherwise ``groups``.
* The first block of each stage has stride 2: its branch produces ``out − in`` channels and is
  concatenated with ``AvgPool(3, s2, p1)`` of the input; the other blocks add the identity. A ReLU
  follows either way.

Outputs of :meth:`ShuffleNetV1Cifar.forward_features`: ``stem`` 24@32; ``stages`` 240@16, 480@8,
960@4 (post-ReLU; with ``preact=True`` the last block's concat/sum before that ReLU); ``final`` =
the last stage output (the reference's ``avg_pool2d(4)`` is global pooling at 4×4).

Checkpoint mapping: the reference module names are kept (``conv1``, ``bn1``,
``layer{1,2,3}.{i}.{conv1,bn1,conv2,bn2,conv3,bn3}``), so every reference key maps to
``backbone.<key>`` except ``linear.*`` which becomes ``head.fc.*``.

Init: the reference applies no custom init, so :meth:`ShuffleNetV1Cifar.reference_init` restores
PyTorch's default initialisation of every conv and BN.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """[N, g·c, H, W] → [N, c·g, H, W] by transposing the (g, c) channel grid."""
    if groups == 1:
        return x
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def pytorch_default_init(module: nn.Module) -> None:
    """Re-run PyTorch's own ``reset_parameters`` on every conv and BN (the reference has no
    custom init)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
            m.reset_parameters()


class ShuffleV1Bottleneck(nn.Module):
    """ShuffleNetV1 unit. Returns ``(out, preact)`` where ``preact`` is the concat/sum before the
    final ReLU."""

    def __init__(self, in_planes: int, branch_planes: int, stride: int, groups: int):
        super().__init__()
        self.stride = stride
        mid_planes = int(branch_planes / 4)
        self.first_groups = 1 if in_planes == 24 else groups
        self.conv1 = nn.Conv2d(in_planes, mid_planes, 1, groups=self.first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_planes)
        self.conv2 = nn.Conv2d(
            mid_planes, mid_planes, 3, stride=stride, padding=1, groups=mid_planes, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_planes)
        self.conv3 = nn.Conv2d(mid_planes, branch_planes, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(branch_planes)
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = channel_shuffle(out, self.first_groups)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        preact = torch.cat([out, res], 1) if self.stride == 2 else out + res
        return F.relu(preact), preact


class ShuffleStage(nn.Sequential):
    """A stage of units; also returns the last unit's pre-ReLU output."""

    def forward(self, x):
        preact = None
        for block in self:
            x, preact = block(x)
        return x, preact


@MODELS.register_module()
class ShuffleNetV1Cifar(BaseBackbone):
    """CIFAR ShuffleNetV1 of RepDistiller/SemCKD (``ShuffleV1``).

    Args:
        out_planes: output width of each of the three stages.
        num_blocks: units per stage (the first has stride 2).
        groups: group count of the grouped 1×1 convs.
        out_indices: stage outputs to return from :meth:`forward` (0..2).
    """

    num_stages = 3
    has_post_block = False

    def __init__(self,
                 out_planes: Sequence[int] = (240, 480, 960),
                 num_blocks: Sequence[int] = (4, 8, 4),
                 groups: int = 3,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if len(out_planes) != 3 or len(num_blocks) != 3:
            raise ValueError('ShuffleNetV1Cifar needs three stages of out_planes / num_blocks')
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        in_planes = 24
        for i, (planes, n) in enumerate(zip(out_planes, num_blocks)):
            units = []
            for j in range(n):
                stride = 2 if j == 0 else 1
                branch = planes - in_planes if j == 0 else planes
                units.append(ShuffleV1Bottleneck(in_planes, branch, stride, groups))
                in_planes = planes
            setattr(self, f'layer{i + 1}', ShuffleStage(*units))
        self.out_channels = in_planes
        self.out_indices  # validate early
        self.reference_init()

    def reference_init(self) -> None:
        pytorch_default_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = F.relu(self.bn1(self.conv1(x)))
        out = stem
        stages, preact_stages = [], []
        for layer in (self.layer1, self.layer2, self.layer3):
            out, pre = layer(out)
            stages.append(out)
            preact_stages.append(pre)
        return BackboneFeatures(
            stem=stem, stages=stages, final=out, preact_stages=preact_stages if preact else None)
