"""CIFAR ShuffleNetV2 of the distillation benchmark ("ShuffleV2" = net_size 1: widths
116/232/464, post-stage conv to 1024, 3/7/3 basic units).

Architecture facts: RepDistiller models/ShuffleNetv2.py:

* Stem: conv1×1 3→24 + BN + ReLU at 32×32 (no max-pool).
* Each stage is one stride-2 ``DownBlock`` followed by ``n`` ``BasicBlock``s:

  - DownBlock: left path dw3×3 s2 + BN, 1×1 + BN + ReLU; right path 1×1 + BN + ReLU, dw3×3 s2 +
    BN, 1×1 + BN + ReLU; concat(left, right), channel shuffle (2 groups).
  - BasicBlock: split the channels in half; the second half goes through 1×1-BN-ReLU, dw3×3-BN,
    1×1-BN-ReLU; concat with the first half; channel shuffle (2 groups).

* Post-stage block: conv1×1 464→1024 + BN (``conv2``/``bn2``) + ReLU.

Outputs of :meth:`ShuffleNetV2Cifar.forward_features`: ``stem`` 24@32; ``stages`` 116@16, 232@8,
464@4; ``final`` 1024@4 (output index 3; the reference's ``avg_pool2d(4)`` is global pooling at
4×4).

**preact quirk (kept from the reference).** With ``preact=True`` a stage output is the last
BasicBlock's ``concat([x1, pre-ReLU branch])`` **without the channel shuffle**, so its channel order
differs from the normal (shuffled) output, not just its sign pattern.

Checkpoint mapping: the reference module names are kept (``conv1``, ``bn1``,
``layer{1,2,3}.0.{conv1..conv5,bn1..bn5}`` for the DownBlock,
``layer{1,2,3}.{i}.{conv1..conv3,bn1..bn3}`` for BasicBlocks, ``conv2``, ``bn2``), so every
reference key maps to ``backbone.<key>`` except ``linear.*`` which becomes ``head.fc.*``.

Init: the reference applies no custom init, so :meth:`ShuffleNetV2Cifar.reference_init` restores
PyTorch's default initialisation of every conv and BN.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .shufflenetv1_cifar import channel_shuffle, pytorch_default_init


class ShuffleV2BasicBlock(nn.Module):
    """Split-transform-concat-shuffle unit. Returns ``(out, preact)`` where ``preact`` is the
    *unshuffled* concat of the untouched half and the pre-ReLU branch (reference quirk)."""

    def __init__(self, in_channels: int, split_ratio: float = 0.5):
        super().__init__()
        self.split_ratio = split_ratio
        c = int(in_channels * split_ratio)
        self.conv1 = nn.Conv2d(c, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, stride=1, padding=1, groups=c, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x):
        c = int(x.size(1) * self.split_ratio)
        x1, x2 = x[:, :c], x[:, c:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        pre = self.bn3(self.conv3(out))
        out = channel_shuffle(torch.cat([x1, F.relu(pre)], 1), 2)
        return out, torch.cat([x1, pre], 1)


class ShuffleV2DownBlock(nn.Module):
    """Stride-2 unit: two paths of ``out/2`` channels each, concatenated and shuffled."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        mid = out_channels // 2
        # left path
        self.conv1 = nn.Conv2d(
            in_channels, in_channels, 3, stride=2, padding=1, groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = nn.Conv2d(in_channels, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        # right path
        self.conv3 = nn.Conv2d(in_channels, mid, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, 3, stride=2, padding=1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x):
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], 1), 2)


class ShuffleV2Stage(nn.Sequential):
    """DownBlock then BasicBlocks; returns ``(out, preact of the last BasicBlock)``.

    With zero BasicBlocks there is no pre-activation tensor; the stage output is returned for it.
    """

    def forward(self, x):
        x = self[0](x)
        preact = x
        for block in list(self)[1:]:
            x, preact = block(x)
        return x, preact


@MODELS.register_module()
class ShuffleNetV2Cifar(BaseBackbone):
    """CIFAR ShuffleNetV2 of RepDistiller/SemCKD: ``ShuffleNetV2(net_size)``.

    Args:
        net_size: one of the reference configs 0.2, 0.3, 0.5, 1 (``ShuffleV2``), 1.5, 2.
        out_indices: outputs returned by :meth:`forward`: 0..2 are the stages, 3 is the post-stage
            1×1 conv map.
    """

    num_stages = 3
    has_post_block = True
    #: net_size -> (stage widths + post-stage width, BasicBlocks per stage)
    net_settings = {
        0.2: ((40, 80, 160, 512), (3, 3, 3)),
        0.3: ((40, 80, 160, 512), (3, 7, 3)),
        0.5: ((48, 96, 192, 1024), (3, 7, 3)),
        1: ((116, 232, 464, 1024), (3, 7, 3)),
        1.5: ((176, 352, 704, 1024), (3, 7, 3)),
        2: ((224, 488, 976, 2048), (3, 7, 3)),
    }

    def __init__(self,
                 net_size: float = 1,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if net_size not in self.net_settings:
            raise KeyError(f'Unknown ShuffleNetV2Cifar net_size {net_size!r}; known: '
                           f'{", ".join(str(k) for k in self.net_settings)}')
        channels, num_blocks = self.net_settings[net_size]
        self.net_size = net_size
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        in_channels = 24
        for i in range(3):
            units = [ShuffleV2DownBlock(in_channels, channels[i])]
            units += [ShuffleV2BasicBlock(channels[i]) for _ in range(num_blocks[i])]
            setattr(self, f'layer{i + 1}', ShuffleV2Stage(*units))
            in_channels = channels[i]
        self.conv2 = nn.Conv2d(channels[2], channels[3], 1, stride=1, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(channels[3])
        self.out_channels = channels[3]
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
        final = F.relu(self.bn2(self.conv2(out)))
        return BackboneFeatures(
            stem=stem, stages=stages, final=final, preact_stages=preact_stages if preact else None)
