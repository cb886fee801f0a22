"""CIFAR MobileNetV2 of Tf-KD (``model/mobilenetv2.py``, from weiaicunzai/pytorch-cifar100).

Not RepDistiller's ``mobile_half`` (docs/tfkd.md G10). Architecture facts (Tf-KD model/*.py):

* stem ``pre``: **1×1 conv 3→32 with padding=1** (+bias), BN, ReLU6: a 32×32 input becomes
  34×34 (the padded border only sees the conv bias; a reference quirk kept as is);
* seven stages of inverted residuals (expand 1×1 → depthwise 3×3(s) → project 1×1, BN after each,
  ReLU6 after the first two, linear output; residual add only when stride 1 and in = out), with
  the (t, c, n, s) table (1,16,1,1), (6,24,2,**2**), (6,32,3,2), (6,64,4,2), (6,96,3,1),
  (6,160,3,**1**), (6,320,1,1);
* post block ``conv1``: 1×1 conv 320→1280 (+bias), BN, ReLU6;
* classifier ``conv2``: a 1×1 conv 1280→K (+bias) applied after global average pooling.

Every conv has a bias; initialisation is PyTorch's default.

Outputs (input 32×32): ``stem`` 32×34×34; stages 16×34×34, 24×17×17, 32×9×9, 64×5×5, 96×5×5,
160×5×5, 320×5×5; ``final`` (post block) 1280×5×5; ``out_indices`` 0..6 are the stages, 7 the
post block. Stage outputs are linear bottleneck outputs (no activation), so ``preact`` is accepted
and ignored.

Module names are the reference's (``pre``, ``stage1`` and ``stage7`` single blocks, ``stage2..6``
Sequentials, blocks with a ``residual`` Sequential, ``conv1``). The classifier is a 1×1 conv in the
reference and a Linear (mmpretrain ``LinearClsHead``) here; the two are the same function on the
pooled vector and PyTorch initialises them identically (kaiming-uniform, a=√5, fan_in = 1280).
Conversion (:func:`convert_reference_state_dict`): ``conv2.weight`` (K, 1280, 1, 1) is reshaped to
(K, 1280) and stored as ``head.fc.weight``; ``conv2.bias`` → ``head.fc.bias``; every other key gets
the ``backbone.`` prefix.
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
    """Tf-KD ``model/mobilenetv2.py`` → mmkd.

    ``conv2.weight`` (K, C, 1, 1) → ``head.fc.weight`` (K, C) by ``reshape``; ``conv2.bias`` →
    ``head.fc.bias``; all other keys → ``backbone.<key>``. ``module.`` prefixes are stripped.
    """
    out = convert_by_prefix(state_dict, 'conv2.')
    weight = out.get('head.fc.weight')
    if weight is not None and weight.dim() == 4:
        out['head.fc.weight'] = weight.reshape(weight.shape[0], weight.shape[1])
    return out


class LinearBottleNeck(nn.Module):
    """Inverted residual: 1×1 (×t) - depthwise 3×3(s) - 1×1 projection, linear output."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, t: int = 6):
        super().__init__()
        hidden = in_channels * t
        self.residual = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True), nn.Conv2d(hidden, out_channels, 1),
            nn.BatchNorm2d(out_channels))
        self.stride = stride
        self.in_channels = in_channels
        self.out_channels = out_channels

    def forward(self, x):
        out = self.residual(x)
        if self.stride == 1 and self.in_channels == self.out_channels:
            out = out + x
        return out


@MODELS.register_module()
class MobileNetV2TfKD(BaseBackbone):
    """Tf-KD's CIFAR MobileNetV2 (``mobilenetv2(class_num=100)``) without the classifier.

    Args:
        arch: only ``'mobilenetv2'``.
        out_indices: outputs returned by :meth:`forward`: 0..6 the stages, 7 the 1×1 conv to 1280
            (the default ``-1``).
    """

    num_stages = 7
    has_post_block = True
    #: (t, c, n, s) per stage; the stem gives 32 channels
    stage_settings = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                      (6, 160, 3, 1), (6, 320, 1, 1))

    def __init__(self,
                 arch: str = 'mobilenetv2',
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch != 'mobilenetv2':
            raise KeyError(f"Unknown MobileNetV2TfKD arch {arch!r}; known: mobilenetv2")
        self.pre = nn.Sequential(
            nn.Conv2d(3, 32, 1, padding=1), nn.BatchNorm2d(32), nn.ReLU6(inplace=True))
        in_ch = 32
        for i, (t, c, n, s) in enumerate(self.stage_settings):
            blocks = [
                LinearBottleNeck(in_ch if j == 0 else c, c, s if j == 0 else 1, t) for j in range(n)
            ]
            # the reference's single-block stages (stage1, stage7) are bare blocks, not Sequentials
            stage = blocks[0] if i in (0, len(self.stage_settings) - 1) else nn.Sequential(*blocks)
            self.add_module(f'stage{i + 1}', stage)
            in_ch = c
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_ch, 1280, 1), nn.BatchNorm2d(1280), nn.ReLU6(inplace=True))
        self.out_channels = 1280
        self.reference_init()

    def reference_init(self) -> None:
        pytorch_default_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.pre(x)
        out = stem
        stages = []
        for i in range(self.num_stages):
            out = getattr(self, f'stage{i + 1}')(out)
            stages.append(out)
        final = self.conv1(out)
        return BackboneFeatures(stem=stem, stages=stages, final=final)
