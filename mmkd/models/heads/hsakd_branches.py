"""HSAKD's auxiliary branches: one self-supervised joint-label classifier per backbone stage.

HSAKD models/*.py (the ``*_aux`` networks). Branch ``l`` reads the ``l``-th tapped feature map of
the backbone and carries it to the backbone's final resolution and width with **the backbone's own
block type**: it repeats the backbone stages after ``l`` (the last branch re-applies a copy of the
last stage with stride 1), then ``[architecture-specific BN-ReLU or 1×1 conv] → global average pool
→ Linear(d, 4·C)``.

Every builder is registered and built by :class:`~mmkd.models.classifiers.AuxBranchClassifier`
with the built backbone (its depth/widths/blocks are read from it) and ``num_classes = 4·C``::

    aux_branches=dict(type='WRNAuxBranches')

Module layout (what checkpoints hold, ``aux_branches.<l-1>.*``): each branch is an
:class:`AuxBranch` with ``extractor`` (the reference's ``block_extractor<l>``, same Sequential
indices and block names), optionally ``bn`` (WRN's ``bn<l>``) or ``conv2`` (MobileNetV2's
``conv2_<l>``), and ``fc`` (``fc<l>``). So a reference key ``auxiliary_classifier.block_extractor2.
0.layer.1.conv1.weight`` is ``aux_branches.1.extractor.0.layer.1.conv1.weight`` here
(:mod:`mmkd.models.utils.hsakd_converter`).

Blocks are the zoo's classes (:mod:`mmkd.models.backbones`); nothing of a backbone is copied.
Taps (``taps(features)``) are the ``BackboneFeatures`` stage outputs except for VGG, whose first
tap is the stem (``ReLU(block0)``) and whose block3 output is skipped (HSAKD models/vgg.py).

Initialisation follows each reference aux module (HSAKD models/*.py): ``'normal'`` = convs
N(0, √(2/(k²·c_out))), BN 1/0, Linear PyTorch default with zero bias (WRN, CIFAR ResNet,
ShuffleV1); ``'mobilenetv2'`` = the same with Linear N(0, 0.01); ``'kaiming'`` = convs
kaiming-normal fan_out, BN 1/0, Linear default (ResNet-50 CIFAR, ImageNet ResNets);
``'default'`` = PyTorch defaults (ShuffleV2, which has no init, and VGG, whose aux init function is
defined but never called — a reference quirk kept here).
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import ModuleList

from mmkd.models.backbones.base import BackboneFeatures
from mmkd.models.backbones.mobilenetv2_cifar import InvertedResidual, conv_bn_relu
from mmkd.models.backbones.resnet_cifar import (BasicBlock, Bottleneck, ResStage,
                                                kaiming_fan_out_init, make_res_stage)
from mmkd.models.backbones.resnet_imagenet import TVBasicBlock, TVBottleneck
from mmkd.models.backbones.resnet_v2_cifar import pytorch_default_init
from mmkd.models.backbones.shufflenetv1_cifar import ShuffleStage, ShuffleV1Bottleneck
from mmkd.models.backbones.shufflenetv2_cifar import (ShuffleV2BasicBlock, ShuffleV2DownBlock,
                                                      ShuffleV2Stage)
from mmkd.models.backbones.vgg_cifar import make_vgg_block
from mmkd.models.backbones.wrn import WideGroup, conv_normal_fan_out_init
from mmkd.registry import MODELS

INIT_STYLES = ('normal', 'mobilenetv2', 'kaiming', 'default')


class BlockChain(nn.Sequential):
    """``nn.Sequential`` that also accepts the zoo's ``(out, preact)`` stage outputs: a tuple
    output is reduced to its first element before the next module."""

    def forward(self, x):
        for module in self:
            x = module(x)
            if isinstance(x, tuple):
                x = x[0]
        return x


class AuxBranch(nn.Module):
    """``extractor → [ReLU(bn)] → [conv2] → GAP → fc`` (one reference ``block_extractor<l>`` with
    its ``bn<l>``/``conv2_<l>`` and ``fc<l>``)."""

    def __init__(self,
                 extractor: nn.Module,
                 out_channels: int,
                 num_classes: int,
                 bn: Optional[nn.Module] = None,
                 conv2: Optional[nn.Module] = None):
        super().__init__()
        self.extractor = extractor
        self.bn = bn
        self.conv2 = conv2
        self.fc = nn.Linear(out_channels, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled vector that feeds ``fc``."""
        out = self.extractor(x)
        if self.bn is not None:
            out = F.relu(self.bn(out))
        if self.conv2 is not None:
            out = self.conv2(out)
        return torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class AuxBranches(ModuleList):
    """Base class of the registered builders: a ``ModuleList`` of :class:`AuxBranch`.

    Subclasses build the branches from the backbone and set ``init_style``; ``taps`` picks the
    feature maps the branches read.
    """

    init_style = 'normal'

    def __init__(self, branches: Sequence[AuxBranch], init_cfg: Optional[dict] = None):
        super().__init__(list(branches), init_cfg=init_cfg)
        self.reference_init()

    # ------------------------------------------------------------------ taps
    def taps(self, feats: BackboneFeatures) -> List[torch.Tensor]:
        """The feature maps branch 1..L read, from one backbone forward."""
        return list(feats.stages)

    def forward(self, taps: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        if len(taps) != len(self):
            raise ValueError(f'{type(self).__name__} has {len(self)} branches but got '
                             f'{len(taps)} feature maps')
        return [branch(t) for branch, t in zip(self, taps)]

    # ------------------------------------------------------------------ init
    def reference_init(self) -> None:
        style = self.init_style
        if style not in INIT_STYLES:
            raise ValueError(f'unknown aux init style {style!r}')
        pytorch_default_init(self)  # Linear: kaiming-uniform(a=√5); the styles override the rest
        if style in ('normal', 'mobilenetv2'):
            conv_normal_fan_out_init(self)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    if style == 'mobilenetv2':
                        nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)
        elif style == 'kaiming':
            kaiming_fan_out_init(self)

    def init_weights(self) -> None:
        if self.init_cfg:
            super().init_weights()
        else:
            self.reference_init()
            self._is_init = True


def _require(backbone, cls_name: str, builder: str):
    names = [c.__name__ for c in type(backbone).__mro__]
    if cls_name not in names:
        raise TypeError(f'{builder} builds branches for a {cls_name} backbone, got '
                        f'{type(backbone).__name__}')


# ----------------------------------------------------------------------------- WRN
@MODELS.register_module()
class WRNAuxBranches(AuxBranches):
    """WRN (HSAKD models/wrn.py): pre-activation wide groups; each branch ends in BN-ReLU (``bn``)
    before the pool. Taps: the raw (pre-BN) outputs of block1..3."""

    init_style = 'normal'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'WideResNetCifar', type(self).__name__)
        n = (backbone.depth - 4) // 6
        w = backbone.widen_factor
        c1, c2, c3 = 16 * w, 32 * w, 64 * w
        plans = [[(c1, c2, 2), (c2, c3, 2)], [(c2, c3, 2)], [(c3, c3, 1)]]
        branches = []
        for plan in plans:
            extractor = BlockChain(*[WideGroup(n, cin, cout, s) for cin, cout, s in plan])
            branches.append(AuxBranch(extractor, c3, num_classes, bn=nn.BatchNorm2d(c3)))
        super().__init__(branches, init_cfg=init_cfg)


# ---------------------------------------------------------------------- CIFAR ResNet
@MODELS.register_module()
class ResNetCifarAuxBranches(AuxBranches):
    """CIFAR ResNet (HSAKD models/resnet.py): post-activation blocks (no extra BN before the pool).
    Taps: layer1..3.
    """

    init_style = 'normal'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'ResNetCifar', type(self).__name__)
        block = type(backbone.layer1[0])
        if block not in (BasicBlock, Bottleneck):
            raise TypeError(f'unexpected ResNetCifar block {block.__name__}')
        n = len(backbone.layer1)
        _, f1, f2, f3 = backbone.num_filters
        e = block.expansion
        plans = [[(f1 * e, f2, 2), (f2 * e, f3, 2)], [(f2 * e, f3, 2)], [(f3 * e, f3, 1)]]
        branches = []
        for plan in plans:
            extractor = BlockChain(
                *[make_res_stage(block, cin, planes, n, s) for cin, planes, s in plan])
            branches.append(AuxBranch(extractor, f3 * e, num_classes))
        super().__init__(branches, init_cfg=init_cfg)


# ---------------------------------------------------- four-stage ResNets (CIFAR R50, ImageNet)
def _four_stage_plans(expansion: int, num_blocks: Sequence[int]):
    """Branch l repeats stages l+1..4 (stride 2); the last branch repeats stage 4 with stride 1.
    Entries are ``(in_channels, planes, blocks, stride)``."""
    widths = (64, 128, 256, 512)
    plans = []
    for start in range(1, 4):
        plan = []
        cin = widths[start - 1] * expansion
        for i in range(start, 4):
            plan.append((cin, widths[i], num_blocks[i], 2))
            cin = widths[i] * expansion
        plans.append(plan)
    plans.append([(widths[3] * expansion, widths[3], num_blocks[3], 1)])
    return plans


@MODELS.register_module()
class ResNetV2CifarAuxBranches(AuxBranches):
    """kuangliu-style CIFAR ResNet, i.e. HSAKD's ``ResNet50_aux`` (HSAKD models/resnetv2.py): four
    branches of ``shortcut``-style blocks ending at 2048@4. Taps: layer1..4."""

    init_style = 'kaiming'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'ResNetV2Cifar', type(self).__name__)
        block, num_blocks = backbone.arch_settings[backbone.arch]
        branches = []
        for plan in _four_stage_plans(block.expansion, num_blocks):
            stages = []
            for cin, planes, n, s in plan:
                blocks = []
                for j in range(n):
                    blocks.append(block(cin, planes, s if j == 0 else 1))
                    cin = planes * block.expansion
                stages.append(ResStage(*blocks))
            branches.append(AuxBranch(BlockChain(*stages), 512 * block.expansion, num_classes))
        super().__init__(branches, init_cfg=init_cfg)


def _torchvision_stage(block, inplanes: int, planes: int, n: int, stride: int) -> ResStage:
    """torchvision ``ResNet._make_layer`` with the zoo's torchvision block classes."""
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
    return ResStage(*blocks)


@MODELS.register_module()
class ResNetImageNetAuxBranches(AuxBranches):
    """torchvision ImageNet ResNet-18/34 (HSAKD models/resnet_imagenet.py): four branches of
    torchvision blocks ending at 512@7 (224 input). Taps: layer1..4."""

    init_style = 'kaiming'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'ResNetImageNet', type(self).__name__)
        block, num_blocks = backbone.arch_settings[backbone.arch]
        if block not in (TVBasicBlock, TVBottleneck):
            raise TypeError(f'unexpected ResNetImageNet block {block.__name__}')
        branches = []
        for plan in _four_stage_plans(block.expansion, num_blocks):
            stages = [_torchvision_stage(block, cin, planes, n, s) for cin, planes, n, s in plan]
            branches.append(AuxBranch(BlockChain(*stages), 512 * block.expansion, num_classes))
        super().__init__(branches, init_cfg=init_cfg)


# ----------------------------------------------------------------------------- VGG
@MODELS.register_module()
class VGGAuxBranches(AuxBranches):
    """VGG-BN (HSAKD models/vgg.py): fresh copies of the backbone's conv blocks with the backbone's
    max-pools and ReLUs in between, each branch ending in a global average pool inside ``extractor``
    (reference layout). Taps: ReLU(block0), ReLU(block1), ReLU(block2), ReLU(block4).

    Reference quirk kept: the aux module's init function is never called, so the branches keep
    PyTorch's default init (``init_style='default'``).
    """

    init_style = 'default'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'VGGCifar', type(self).__name__)
        w = backbone.widths

        def blk(i, cin):
            return make_vgg_block(w[i], cin)

        def pool():
            return nn.MaxPool2d(kernel_size=2, stride=2)

        extractors = [
            [
                pool(),
                blk(1, w[0][-1]),
                nn.ReLU(),
                pool(),
                blk(2, w[1][-1]),
                nn.ReLU(),
                pool(),
                blk(3, w[2][-1]),
                nn.ReLU(),
                blk(4, w[3][-1]),
                nn.ReLU()
            ],
            [
                pool(),
                blk(2, w[1][-1]),
                nn.ReLU(),
                pool(),
                blk(3, w[2][-1]),
                nn.ReLU(),
                blk(4, w[3][-1]),
                nn.ReLU()
            ],
            [pool(), blk(3, w[2][-1]),
             nn.ReLU(), blk(4, w[3][-1]),
             nn.ReLU()],
            [blk(3, w[4][-1]), nn.ReLU(), blk(4, w[3][-1]),
             nn.ReLU()],
        ]
        out = w[4][-1]
        branches = [
            AuxBranch(BlockChain(*layers, nn.AdaptiveAvgPool2d((1, 1))), out, num_classes)
            for layers in extractors
        ]
        super().__init__(branches, init_cfg=init_cfg)

    def taps(self, feats: BackboneFeatures) -> List[torch.Tensor]:
        return [feats.stem, feats.stages[0], feats.stages[1], feats.stages[3]]


# ----------------------------------------------------------------------- MobileNetV2
@MODELS.register_module()
class MobileNetV2AuxBranches(AuxBranches):
    """MobileNetV2 (HSAKD models/mobilenetv2.py): inverted-residual groups of the backbone after
    each tapped group, then the 1×1 conv to 1280 + BN + ReLU (``conv2``). Taps: after groups 1, 2,
    4, 6. The last branch repeats groups 5-6 with stride 1. (The reference hard-codes the width-0.5
    channel counts; here they come from the backbone, which gives the same numbers at width 0.5.)"""

    init_style = 'mobilenetv2'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'MobileNetV2Cifar', type(self).__name__)
        settings = backbone.block_settings
        taps = backbone.stage_blocks
        w, t_default = backbone.width_mult, backbone.expand_ratio

        def channels(g):
            return int(settings[g][1] * w)

        def group(g, cin, force_stride1=False):
            t, _, n, s = settings[g]
            t = t_default if t is None else t
            s = 1 if force_stride1 else s
            layers = []
            for i in range(n):
                layers.append(InvertedResidual(cin, channels(g), s if i == 0 else 1, t))
                cin = channels(g)
            return nn.Sequential(*layers)

        last = len(settings) - 1
        branches = []
        for k, tap in enumerate(taps):
            if k < len(taps) - 1:
                first, cin, stride1 = tap + 1, channels(tap), False
            else:  # re-apply the groups after the previous tap with stride 1
                first, cin, stride1 = taps[k - 1] + 1, channels(tap), True
            groups = []
            for g in range(first, last + 1):
                groups.append(group(g, cin, force_stride1=stride1))
                cin = channels(g)
            conv2 = conv_bn_relu(cin, backbone.last_channel, 1)
            branches.append(
                AuxBranch(nn.Sequential(*groups), backbone.last_channel, num_classes, conv2=conv2))
        super().__init__(branches, init_cfg=init_cfg)


# ----------------------------------------------------------------------- ShuffleNetV1
@MODELS.register_module()
class ShuffleV1AuxBranches(AuxBranches):
    """ShuffleNetV1 (HSAKD models/ShuffleNetv1.py): ShuffleNetV1 units; the last branch repeats
    stage 3 with stride 1 everywhere (additive shortcuts). Taps: layer1..3."""

    init_style = 'normal'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'ShuffleNetV1Cifar', type(self).__name__)
        layers = [backbone.layer1, backbone.layer2, backbone.layer3]
        planes, cin = [], backbone.bn1.num_features
        for layer in layers:  # stride-2 first unit: branch = out - in, concatenated with input
            planes.append(layer[0].conv3.out_channels + cin)
            cin = planes[-1]
        num_blocks = [len(layer) for layer in layers]
        groups = layers[0][0].conv3.groups

        def stage(cin, out, n, downsample=True):
            units = []
            for j in range(n):
                first = j == 0 and downsample
                units.append(
                    ShuffleV1Bottleneck(cin, out - cin if first else out, 2 if first else 1,
                                        groups))
                cin = out
            return ShuffleStage(*units)

        plans = [[(planes[0], planes[1], num_blocks[1]), (planes[1], planes[2], num_blocks[2])],
                 [(planes[1], planes[2], num_blocks[2])]]
        branches = [
            AuxBranch(BlockChain(*[stage(*p) for p in plan]), planes[2], num_classes)
            for plan in plans
        ]
        branches.append(
            AuxBranch(
                BlockChain(stage(planes[2], planes[2], num_blocks[2], downsample=False)), planes[2],
                num_classes))
        super().__init__(branches, init_cfg=init_cfg)


# ----------------------------------------------------------------------- ShuffleNetV2
class _StrideOneDownBlock(ShuffleV2DownBlock):
    """The ShuffleNetV2 down-sampling unit with both depthwise convs at stride 1 (the reference's
    ``DownBlock(..., stride=1)`` of the last aux branch)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(in_channels, out_channels)
        self.conv1.stride = (1, 1)
        self.conv4.stride = (1, 1)


@MODELS.register_module()
class ShuffleV2AuxBranches(AuxBranches):
    """ShuffleNetV2 (HSAKD models/ShuffleNetv2.py): DownBlock + BasicBlocks per stage, then the 1×1
    conv to 1024 + BN + ReLU inside ``extractor`` (reference layout); the last branch's DownBlock
    has stride 1. No custom init (PyTorch defaults). Taps: layer1..3."""

    init_style = 'default'

    def __init__(self, backbone, num_classes: int, init_cfg: Optional[dict] = None):
        _require(backbone, 'ShuffleNetV2Cifar', type(self).__name__)
        ch, nb = backbone.net_settings[backbone.net_size]

        def stage(cin, out, n, stride1=False):
            down = _StrideOneDownBlock(cin, out) if stride1 else ShuffleV2DownBlock(cin, out)
            return ShuffleV2Stage(down, *[ShuffleV2BasicBlock(out) for _ in range(n)])

        def post():
            return [
                nn.Conv2d(ch[2], ch[3], 1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(ch[3]),
                nn.ReLU()
            ]

        extractors = [
            [stage(ch[0], ch[1], nb[1]), stage(ch[1], ch[2], nb[2])],
            [stage(ch[1], ch[2], nb[2])],
            [stage(ch[2], ch[2], nb[2], stride1=True)],
        ]
        branches = [
            AuxBranch(BlockChain(*stages, *post()), ch[3], num_classes) for stages in extractors
        ]
        super().__init__(branches, init_cfg=init_cfg)
