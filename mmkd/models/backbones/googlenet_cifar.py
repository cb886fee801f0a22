"""CIFAR GoogLeNet of Tf-KD (``model/googlenet.py``, an older weiaicunzai/pytorch-cifar100 version).

Architecture facts: Tf-KD model/*.py. A single 3×3 conv stem (3→192, bias, BN, ReLU; no
down-sampling), inception 3a/3b at 32×32, max-pool(3, s2, p1), 4a–4e at 16×16, max-pool, 5a/5b at
8×8, then (in the classifier path) adaptive average pooling, ``Dropout2d(0.4)`` and
``Linear(1024)``. The dropout lives in the neck
:class:`mmkd.models.necks.dropout_gap.GlobalAveragePoolingDropout`.
Every inception module has four branches with BN after each conv; the "5×5" branch is two 3×3 convs.
All convs have a bias; initialisation is PyTorch's default.

Stages (input 32×32): stem 192×32×32; stage 1 = 3a, 3b → 480×32×32; stage 2 = max-pool, 4a–4e →
832×16×16; stage 3 = max-pool, 5a, 5b → 1024×8×8; ``final`` = stage 3. Every inception output is a
concatenation of ReLU outputs, so there is no pre-activation: ``preact`` is accepted and ignored.

**Reference quirk (kept by default).** The middle BN of the "5×5" branch is written
``nn.BatchNorm2d(n5x5, n5x5)``, whose second positional argument is ``eps``: that BN uses
``eps = n5x5`` (32, 96, 48, 64, 64, 64, 128, 128, 128) instead of 1e-5. It does not change the
parameter count but does change the function. ``bn_eps_quirk=True`` (default) reproduces it;
``False`` uses the ordinary ``eps=1e-5``.

Module names are the reference's (``prelayer``, ``a3``, ``b3``, ``maxpool``, ``a4`` … ``b5``;
branches ``b1``–``b4``), so a reference state_dict converts by prefix:
:func:`convert_reference_state_dict`.
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
    """Tf-KD ``model/googlenet.py`` → mmkd: ``linear.*`` → ``head.fc.*``, rest → ``backbone.*``."""
    return convert_by_prefix(state_dict, 'linear.')


def _conv_bn_relu(in_ch: int, out_ch: int, kernel: int, eps: float = 1e-5) -> list:
    return [
        nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2),
        nn.BatchNorm2d(out_ch, eps=eps),
        nn.ReLU(inplace=True)
    ]


class Inception(nn.Module):
    """Four-branch inception module: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | max-pool→1×1, concatenated."""

    def __init__(self,
                 in_ch: int,
                 n1x1: int,
                 n3x3_reduce: int,
                 n3x3: int,
                 n5x5_reduce: int,
                 n5x5: int,
                 pool_proj: int,
                 bn_eps_quirk: bool = True):
        super().__init__()
        self.b1 = nn.Sequential(*_conv_bn_relu(in_ch, n1x1, 1))
        self.b2 = nn.Sequential(*_conv_bn_relu(in_ch, n3x3_reduce, 1),
                                *_conv_bn_relu(n3x3_reduce, n3x3, 3))
        self.b3 = nn.Sequential(
            *_conv_bn_relu(in_ch, n5x5_reduce, 1),
            *_conv_bn_relu(n5x5_reduce, n5x5, 3, eps=float(n5x5) if bn_eps_quirk else 1e-5),
            *_conv_bn_relu(n5x5, n5x5, 3))
        self.b4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), *_conv_bn_relu(in_ch, pool_proj, 1))
        self.out_channels = n1x1 + n3x3 + n5x5 + pool_proj

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


@MODELS.register_module()
class GoogLeNetCifar(BaseBackbone):
    """Tf-KD's CIFAR GoogLeNet (``googlenet(num_class=100)``), without the classifier.

    Args:
        arch: only ``'googlenet'``.
        bn_eps_quirk: reproduce the reference's ``BatchNorm2d(n5x5, n5x5)`` (eps = n5x5).
        out_indices: stage outputs returned by :meth:`forward` (0..2).
    """

    num_stages = 3
    # name: (in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj)
    inception_settings = OrderedDict([
        ('a3', (192, 64, 96, 128, 16, 32, 32)),
        ('b3', (256, 128, 128, 192, 32, 96, 64)),
        ('a4', (480, 192, 96, 208, 16, 48, 64)),
        ('b4', (512, 160, 112, 224, 24, 64, 64)),
        ('c4', (512, 128, 128, 256, 24, 64, 64)),
        ('d4', (512, 112, 144, 288, 32, 64, 64)),
        ('e4', (528, 256, 160, 320, 32, 128, 128)),
        ('a5', (832, 256, 160, 320, 32, 128, 128)),
        ('b5', (832, 384, 192, 384, 48, 128, 128)),
    ])
    #: modules run by each stage, in order ('maxpool' is the shared stride-2 pool)
    stage_modules = (('a3', 'b3'), ('maxpool', 'a4', 'b4', 'c4', 'd4', 'e4'), ('maxpool', 'a5',
                                                                               'b5'))

    def __init__(self,
                 arch: str = 'googlenet',
                 bn_eps_quirk: bool = True,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch != 'googlenet':
            raise KeyError(f"Unknown GoogLeNetCifar arch {arch!r}; known: googlenet")
        self.bn_eps_quirk = bn_eps_quirk
        self.prelayer = nn.Sequential(*_conv_bn_relu(3, 192, 3))
        for name, cfg in self.inception_settings.items():
            if name == 'a4':  # keep the reference's attribute order (maxpool after b3)
                self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
            self.add_module(name, Inception(*cfg, bn_eps_quirk=bn_eps_quirk))
        self.out_channels = self.b5.out_channels
        self.reference_init()

    def reference_init(self) -> None:
        pytorch_default_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.prelayer(x)
        out = stem
        stages = []
        for names in self.stage_modules:
            for name in names:
                out = getattr(self, name)(out)
            stages.append(out)
        return BackboneFeatures(stem=stem, stages=stages, final=out)
