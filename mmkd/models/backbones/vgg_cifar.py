"""CIFAR VGGs with BN of the distillation benchmark (vgg8, vgg11, vgg13, vgg16, vgg19).

Architecture facts: RepDistiller models/vgg.py. Five conv blocks; every conv is a 3×3 conv
(padding 1, **with bias**) + BN + ReLU, except that the last ReLU of each block is dropped, so a
block ends on BN. The three-layer VGG classifier is replaced by one Linear (our ``head.fc``).

Outputs of :meth:`VGGCifar.forward_features` (32×32 input):

* ``stem``: ``ReLU(block0(x))`` (64@32); then ``pool0``.
* ``stages``: ``f1 = ReLU(block1)`` (128@16), ``f2 = ReLU(block2)`` (256@8), ``f3 = ReLU(block3)``
  (512@4), ``f4 = ReLU(block4)`` (512@4). ``pool1``/``pool2`` sit between them; ``pool3`` (before
  block4) is applied **only when the input height is 64**, so on CIFAR block4 runs at 4×4 too.
  With ``preact=True`` the stages are taken before their ReLU.
* ``final``: ``f4`` (post-ReLU), which the classifier pools (the reference's ``AdaptiveAvgPool(1)``
  is our ``GlobalAveragePooling`` neck).

Checkpoint mapping: the reference ``VGG`` module names are kept (``block{0..4}.{i}`` with the same
Sequential indices: conv, BN, ReLU, conv, BN, ...), so every reference key maps to
``backbone.<key>`` except ``classifier.*`` which becomes ``head.fc.*``.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .wrn import conv_normal_fan_out_init


def make_vgg_block(widths: Sequence[int], in_channels: int) -> nn.Sequential:
    """conv3×3(bias)-BN-ReLU per width, without the trailing ReLU."""
    layers: List[nn.Module] = []
    for width in widths:
        layers += [
            nn.Conv2d(in_channels, width, 3, padding=1, bias=True),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        ]
        in_channels = width
    return nn.Sequential(*layers[:-1])


@MODELS.register_module()
class VGGCifar(BaseBackbone):
    """CIFAR VGG (BN variant) of RepDistiller/SemCKD: ``VGG(cfg, batch_norm=True)``.

    Args:
        arch: ``'vgg8'`` (cfg S), ``'vgg11'`` (A), ``'vgg13'`` (B), ``'vgg16'`` (D) or ``'vgg19'``
            (E). Overrides ``widths``.
        widths: five lists of conv widths, one per block.
        out_indices: stage outputs to return from :meth:`forward` (0..3).
    """

    num_stages = 4
    has_post_block = False
    arch_settings = {
        'vgg8': ((64, ), (128, ), (256, ), (512, ), (512, )),
        'vgg11': ((64, ), (128, ), (256, 256), (512, 512), (512, 512)),
        'vgg13': ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
        'vgg16': ((64, 64), (128, 128), (256, ) * 3, (512, ) * 3, (512, ) * 3),
        'vgg19': ((64, 64), (128, 128), (256, ) * 4, (512, ) * 4, (512, ) * 4),
    }

    def __init__(self,
                 arch: Optional[str] = None,
                 widths: Optional[Sequence[Sequence[int]]] = None,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        if arch is not None:
            key = arch[:-3] if arch.endswith('_bn') else arch
            if key not in self.arch_settings:
                raise KeyError(f'Unknown VGGCifar arch {arch!r}; known: '
                               f'{", ".join(self.arch_settings)}')
            widths = self.arch_settings[key]
        if widths is None:
            raise ValueError('VGGCifar needs `arch` or `widths`')
        if len(widths) != 5:
            raise ValueError(f'VGGCifar needs 5 blocks of widths, got {len(widths)}')
        self.widths = tuple(tuple(w) for w in widths)
        in_channels = 3
        for i, block_widths in enumerate(self.widths):
            setattr(self, f'block{i}', make_vgg_block(block_widths, in_channels))
            in_channels = block_widths[-1]
        self.pool0 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.pool3 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.out_channels = in_channels
        self.out_indices  # validate early
        self.reference_init()

    def reference_init(self) -> None:
        conv_normal_fan_out_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        height = x.shape[2]
        stem = F.relu(self.block0(x))
        out = self.pool0(stem)
        stages, preact_stages = [], []
        for i in range(1, 5):
            if i == 4 and height == 64:
                out = self.pool3(out)
            pre = getattr(self, f'block{i}')(out)
            out = F.relu(pre)
            stages.append(out)
            preact_stages.append(pre)
            if i < 3:
                out = getattr(self, f'pool{i}')(out)
        return BackboneFeatures(
            stem=stem, stages=stages, final=out, preact_stages=preact_stages if preact else None)
