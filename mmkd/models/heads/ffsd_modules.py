"""FFSD's trainable auxiliary modules: the fusion module, the leader's trans-fusion head and the
self-distillation decoders.

Paper: Li et al., "Distilling a Powerful Student Model via Online Knowledge Distillation",
IEEE TNNLS 2022 (arXiv 2103.14473), §III. Reference: SJLeo/FFSD ``models/fusion_module.py``
(``FusionModule``, ``TransFusionModule``) and ``models/self_distillation.py``
(``SelfDistillationModel``, ``DIYSelfDistillationModel``). Module attribute names follow the
reference, so released weights map one to one.

Every conv is initialised ``N(0, sqrt(2 / (k·k·C_out)))`` and every BN ``γ = 1, β = 0`` (the
reference's ``reset_parameters``); linear layers keep PyTorch's default init.
"""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def ffsd_conv_init(module: nn.Module) -> None:
    """The reference init of convs (normal, std sqrt(2/(k·k·C_out))) and BNs (1, 0)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            m.weight.data.normal_(0, math.sqrt(2. / n))
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.fill_(1)
            m.bias.data.zero_()


@MODELS.register_module()
class FFSDFusionModule(nn.Module):
    """Fuses the common students' deepest maps (``FusionModule`` of the reference).

    ``U = concat_i F_i^L`` (``B × M·C × h × w``, detached by the caller) →
    depthwise 3×3 conv (``M·C → M·C``, no bias) + BN + ReLU → 1×1 conv (``M·C → C``, no bias) +
    BN + ReLU = the fused map ``G`` → AvgPool(``spatial``) → FC(``C → num_classes``) = ``z_f``.

    The reference's ``AvgPool2d(spatial)`` over its ``spatial × spatial`` maps is the mean over the
    whole map; here the pooling kernel is the size of ``G`` itself, which is the same operation
    (bit for bit) on the reference's maps and also works on other input sizes (where the
    reference's fixed kernel fails), e.g. smaller test images.

    Args:
        channels: C, channels of the deepest tap of one student.
        num_classes: classes of ``z_f``.
        spatial: side of ``G`` in the reference recipe (its AvgPool kernel; 8 on CIFAR, 7 on
            ImageNet); recorded, the kernel follows the map.
        model_num: M, number of common students.

    ``forward(U)`` returns ``(G, z_f)``.
    """

    def __init__(self, channels: int, num_classes: int, spatial: int = 8, model_num: int = 2):
        super().__init__()
        self.channels, self.model_num = int(channels), int(model_num)
        mc = self.channels * self.model_num
        self.conv1 = nn.Conv2d(mc, mc, 3, padding=1, groups=mc, bias=False)
        self.bn1 = nn.BatchNorm2d(mc)
        self.relu1 = nn.ReLU()
        self.conv1_1 = nn.Conv2d(mc, self.channels, 1, bias=False)
        self.bn1_1 = nn.BatchNorm2d(self.channels)
        self.relu1_1 = nn.ReLU()
        self.spatial = int(spatial)
        self.fc2 = nn.Linear(self.channels, num_classes)
        ffsd_conv_init(self)

    def forward(self, fused_input: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = self.relu1(self.bn1(self.conv1(fused_input)))
        fused = self.relu1_1(self.bn1_1(self.conv1_1(x)))
        logits = self.fc2(F.avg_pool2d(fused, tuple(fused.shape[-2:])).flatten(1))
        return fused, logits


@MODELS.register_module()
class FFSDTransFusion(nn.Module):
    """The student leader's trans-fusion head (``TransFusionModule`` of the reference).

    Applied to the leader's deepest map ``F_L^L`` (``B × C × h × w``): depthwise 3×3 conv
    (``C → C``, no bias) + BN + ReLU → 1×1 conv (``C → M·C``, no bias) + BN + ReLU = ``P``
    (``B × M·C × h × w``), which the leader loss compares with the students' concatenated maps.

    Args:
        channels: C.
        model_num: M, number of common students.
    """

    def __init__(self, channels: int, model_num: int = 2):
        super().__init__()
        self.channels, self.model_num = int(channels), int(model_num)
        self.conv1 = nn.Conv2d(
            self.channels, self.channels, 3, padding=1, groups=self.channels, bias=False)
        self.bn1 = nn.BatchNorm2d(self.channels)
        self.relu1 = nn.ReLU()
        self.conv1_1 = nn.Conv2d(self.channels, self.channels * self.model_num, 1, bias=False)
        self.bn1_1 = nn.BatchNorm2d(self.channels * self.model_num)
        self.relu1_1 = nn.ReLU()
        ffsd_conv_init(self)

    def forward(self, deepest: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.bn1(self.conv1(deepest)))
        return self.relu1_1(self.bn1_1(self.conv1_1(x)))


class FFSDDecoderStage(nn.Module):
    """ConvTranspose 3×3 (stride 2, pad 1, output pad 1, no bias) + BN + ReLU: doubles H, W."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.convtranpose = nn.ConvTranspose2d(
            in_channels, out_channels, 3, stride=2, padding=1, output_padding=1, bias=False)
        self.norm = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.norm(self.convtranpose(x)))


@MODELS.register_module()
class FFSDDecoder(nn.Module):
    """Self-distillation decoder: reconstructs a network's shallow taps from its deepest one.

    ``channels`` lists the tap channels deep → shallow, e.g. ``[64, 32, 16]`` for the CIFAR
    ResNets (the reference's ``SelfDistillationModel(64, 2)``, channels halving per stage) or
    ``[456, 312, 168]`` for DenseNet-40 (``DIYSelfDistillationModel``). Stage ``l`` maps
    ``channels[l] → channels[l + 1]`` and doubles the resolution.

    ``forward(x)`` returns the stage outputs **shallow first** (reversed), so that index ``l``
    lines up with backbone tap ``l``. Init: the reference keeps PyTorch's defaults here (its
    decoders are not re-initialised), and so does this module.
    """

    def __init__(self, channels: Sequence[int]):
        super().__init__()
        channels = [int(c) for c in channels]
        if len(channels) < 2:
            raise ValueError(f'FFSDDecoder needs at least two channel counts (deep -> shallow), '
                             f'got {channels}')
        self.channels = channels
        self.layer_num = len(channels) - 1
        for i in range(self.layer_num):
            setattr(self, f'layer{i}', FFSDDecoderStage(channels[i], channels[i + 1]))

    def forward(self, deepest: torch.Tensor) -> List[torch.Tensor]:
        outs = []
        x = deepest
        for i in range(self.layer_num):
            x = getattr(self, f'layer{i}')(x)
            outs.append(x)
        return outs[::-1]
