"""CIFAR DenseNet-BC of Tf-KD (``model/densenet.py``, from weiaicunzai/pytorch-cifar100).

Architecture facts: Tf-KD model/*.py. DenseNet-121: growth rate k = 32, dense blocks of
[6, 12, 24, 16] bottleneck layers (BN-ReLU-conv1×1(4k)-BN-ReLU-conv3×3(k), output concatenated to
the input), compression 0.5 in the transitions (BN, conv1×1, avg-pool 2; note: *no* ReLU), a
3×3 stride-1 stem conv to 2k = 64 channels with no BN/ReLU/max-pool, and a final BN-ReLU before
global pooling and the Linear classifier. All convs are bias-free; initialisation is PyTorch's
default.

Outputs (input 32×32): ``stem`` = the stem conv output, 64×32×32. Stage ``i`` ends at dense block
``i`` (before its transition): 256×32×32, 512×16×16, 1024×8×8, 1024×4×4; stages 2–4 begin with the
previous transition. ``final`` is the post block (final BN-ReLU) applied to stage 4: 1024×4×4,
so ``out_indices`` has 5 entries (0..3 stages, 4 the post block). Dense-block outputs are
concatenations of conv outputs, with no activation of their own, so ``preact`` is accepted and
ignored.

Module names are the reference's (``conv1``; ``features.dense_block_layer_{0,1,2}``,
``features.transition_layer_{0,1,2}``, ``features.dense_block3`` (sic, no ``_layer_``),
``features.bn``; layers ``bottle_neck_layer_<j>.bottle_neck.<idx>``; transitions
``down_sample.<idx>``), so a reference state_dict converts by prefix:
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
    """Tf-KD ``model/densenet.py`` → mmkd: ``linear.*`` → ``head.fc.*``, rest → ``backbone.*``."""
    return convert_by_prefix(state_dict, 'linear.')


class DenseLayer(nn.Module):
    """BN-ReLU-conv1×1(4k)-BN-ReLU-conv3×3(k); the output is ``cat([x, new], 1)``."""

    def __init__(self, in_channels: int, growth_rate: int):
        super().__init__()
        inner = 4 * growth_rate
        self.bottle_neck = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, inner, 1, bias=False), nn.BatchNorm2d(inner),
            nn.ReLU(inplace=True), nn.Conv2d(inner, growth_rate, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.bottle_neck(x)], 1)


class Transition(nn.Module):
    """BN, conv1×1 (compression), 2×2 average pool (no ReLU, as in the reference)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.down_sample = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.AvgPool2d(2, stride=2))

    def forward(self, x):
        return self.down_sample(x)


@MODELS.register_module()
class DenseNetCifar(BaseBackbone):
    """Tf-KD's CIFAR DenseNet-BC without the classifier.

    Args:
        arch: ``'densenet121'`` (also ``densenet169``, ``densenet201``, ``densenet161``, as in the
            reference file).
        reduction: transition compression factor (0.5).
        out_indices: outputs returned by :meth:`forward`: 0..3 the dense blocks, 4 the final
            BN-ReLU (the default ``-1``).
    """

    num_stages = 4
    has_post_block = True
    arch_settings = {
        'densenet121': (32, (6, 12, 24, 16)),
        'densenet169': (32, (6, 12, 32, 32)),
        'densenet201': (32, (6, 12, 48, 32)),
        'densenet161': (48, (6, 12, 36, 24)),
    }

    def __init__(self,
                 arch: str = 'densenet121',
                 reduction: float = 0.5,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(out_indices=out_indices, init_cfg=init_cfg)
        self.out_indices  # validate before building (num_stages is a class attribute)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown DenseNetCifar arch {arch!r}; known: '
                           f'{", ".join(self.arch_settings)}')
        growth_rate, nblocks = self.arch_settings[arch]
        self.arch = arch
        self.growth_rate = growth_rate
        channels = 2 * growth_rate
        self.conv1 = nn.Conv2d(3, channels, 3, padding=1, bias=False)
        self.features = nn.Sequential()
        self._block_names, self._transition_names = [], []
        for index, n in enumerate(nblocks):
            last = index == len(nblocks) - 1
            name = f'dense_block{index}' if last else f'dense_block_layer_{index}'
            block = nn.Sequential()
            for j in range(n):
                block.add_module(f'bottle_neck_layer_{j}', DenseLayer(channels, growth_rate))
                channels += growth_rate
            self.features.add_module(name, block)
            self._block_names.append(name)
            if not last:
                out_channels = int(reduction * channels)
                tname = f'transition_layer_{index}'
                self.features.add_module(tname, Transition(channels, out_channels))
                self._transition_names.append(tname)
                channels = out_channels
        self.features.add_module('bn', nn.BatchNorm2d(channels))
        self.features.add_module('relu', nn.ReLU(inplace=True))
        self.out_channels = channels
        self.reference_init()

    def reference_init(self) -> None:
        pytorch_default_init(self)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        stem = self.conv1(x)
        out = stem
        stages = []
        for i, name in enumerate(self._block_names):
            if i > 0:
                out = getattr(self.features, self._transition_names[i - 1])(out)
            out = getattr(self.features, name)(out)
            stages.append(out)
        final = self.features.relu(self.features.bn(out))
        return BackboneFeatures(stem=stem, stages=stages, final=final)
