"""torchvision's ImageNet ResNet-18/34/50 as an mmkd backbone (SemCKD's ImageNet teachers and
students, Tf-KD's ImageNet script; SemCKD README.md ImageNet command, train_student.py).

Architecture: 7×7 stride-2 conv (3→64, no bias), BN, ReLU, 3×3 stride-2 max-pool, four stages of
basic blocks ([2,2,2,2] / [3,4,6,3]) or bottlenecks ([3,4,6,3], expansion 4, stride on the 3×3
conv: "ResNet v1.5") at strides 1, 2, 2, 2, then global pooling and ``fc``.

Outputs (input 224×224): ``stem`` = the max-pool output, 64×56×56; stages 64/128/256/512
(×4 for ResNet-50) at 56, 28, 14, 7 pixels; ``final`` = stage 4. ``preact=True`` gives each stage's
last residual sum before the final ReLU.

Implementation choice: the residual blocks *are* torchvision's (``torchvision.models.resnet.
BasicBlock``/``Bottleneck`` subclassed only to also return the pre-ReLU sum), so every
sub-module, name and default is torchvision's own; the backbone itself is re-assembled here rather
than wrapping ``torchvision.models.ResNet`` because mmkd needs the stem/stage/pre-activation
outputs and no ``fc``/``avgpool`` in the backbone. Parameter names are exactly torchvision's
(``conv1``, ``bn1``, ``layer1..4``, blocks with ``conv*``/``bn*``/``downsample.{0,1}``), so a
torchvision checkpoint converts by prefix (``fc.*`` → ``head.fc.*``):
:func:`convert_reference_state_dict`. Initialisation is torchvision's (kaiming-normal fan_out
convs, BN 1/0, optional ``zero_init_residual``; the ``fc`` keeps PyTorch's Linear default).
"""
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tv_resnet

from mmkd.registry import MODELS
from .base import BackboneFeatures, BaseBackbone
from .resnet_cifar import ResStage, kaiming_fan_out_init
from .resnet_v2_cifar import convert_by_prefix


def convert_reference_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """torchvision ResNet → mmkd: ``fc.*`` → ``head.fc.*``, rest → ``backbone.*``."""
    return convert_by_prefix(state_dict, 'fc.')


class TVBasicBlock(tv_resnet.BasicBlock):
    """torchvision ``BasicBlock`` whose forward returns ``(out, preact)``."""

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        preact = self.bn2(self.conv2(out)) + identity
        return F.relu(preact), preact


class TVBottleneck(tv_resnet.Bottleneck):
    """torchvision ``Bottleneck`` whose forward returns ``(out, preact)``."""

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        preact = self.bn3(self.conv3(out)) + identity
        return F.relu(preact), preact


@MODELS.register_module()
class ResNetImageNet(BaseBackbone):
    """torchvision ResNet without ``avgpool``/``fc``.

    Args:
        arch: ``'resnet18'``, ``'resnet34'`` or ``'resnet50'``.
        zero_init_residual: torchvision's option (zero the last BN of every residual branch).
        out_indices: stage outputs returned by :meth:`forward` (0..3).
    """

    num_stages = 4
    arch_settings = {
        'resnet18': (TVBasicBlock, (2, 2, 2, 2)),
        'resnet34': (TVBasicBlock, (3, 4, 6, 3)),
        'resnet50': (TVBottleneck, (3, 4, 6, 3)),
    }

    def __init__(self,
                 arch: str = 'resnet18',
                 zero_init_residual: bool = False,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown ResNetImageNet arch {arch!r}; known: '
                           f'{", ".join(self.arch_settings)}')
        self.arch = arch
        self.zero_init_residual = zero_init_residual
        block, layers = self.arch_settings[arch]
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = 64
        for i, (planes, n, stride) in enumerate(zip((64, 128, 256, 512), layers, (1, 2, 2, 2))):
            blocks = []
            for j in range(n):
                s = stride if j == 0 else 1
                downsample = None
                if s != 1 or inplanes != planes * block.expansion:
                    downsample = nn.Sequential(
                        nn.Conv2d(inplanes, planes * block.expansion, 1, stride=s, bias=False),
                        nn.BatchNorm2d(planes * block.expansion))
                blocks.append(block(inplanes, planes, s, downsample))
                inplanes = planes * block.expansion
            self.add_module(f'layer{i + 1}', ResStage(*blocks))
        self.out_channels = inplanes
        self.reference_init()

    def reference_init(self) -> None:
        kaiming_fan_out_init(self)
        if self.zero_init_residual:
            for m in self.modules():
                if isinstance(m, TVBottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, TVBasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out = stem
        stages, preact_stages = [], []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            out, pre = layer(out)
            stages.append(out)
            preact_stages.append(pre)
        return BackboneFeatures(
            stem=stem, stages=stages, final=out, preact_stages=preact_stages if preact else None)
