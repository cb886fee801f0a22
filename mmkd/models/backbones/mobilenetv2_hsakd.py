"""HSAKD's MobileNetV2 (``models/mobilenetv2.py`` of winycg/HSAKD).

The same network as :class:`~mmkd.models.backbones.mobilenetv2_cifar.MobileNetV2Cifar` (T = 6,
width 0.5, identical module names, parameters and init) except for two details of the HSAKD copy:

* the stem conv has **stride 1**, so the network runs at full CIFAR resolution: stages 12@32,
  16@16, 48@8, 160@4 and the 1×1 conv map 1280@4 (RepDistiller's stem has stride 2);
* the classifier is a bare ``nn.Linear`` named ``classifier`` (RepDistiller: ``classifier.0``),
  which only matters for checkpoint conversion (``reference_classifier_prefix``).

It is a subclass, not a copy: only the stem is rebuilt.
"""
from typing import Optional, Sequence

from mmkd.registry import MODELS
from .mobilenetv2_cifar import MobileNetV2Cifar, conv_bn_relu


@MODELS.register_module()
class MobileNetV2HSAKD(MobileNetV2Cifar):
    """MobileNetV2 (T=6, width 0.5) with HSAKD's stride-1 stem.

    Args:
        stem_stride: stride of the 3×3 stem conv (HSAKD: 1).
        width_mult, expand_ratio, out_indices, init_cfg: as :class:`MobileNetV2Cifar`.
    """

    #: HSAKD's classifier is ``nn.Linear`` stored as ``classifier.*``
    reference_classifier_prefix = 'classifier.'

    def __init__(self,
                 width_mult: float = 0.5,
                 expand_ratio: int = 6,
                 stem_stride: int = 1,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[dict] = None):
        super().__init__(
            width_mult=width_mult,
            expand_ratio=expand_ratio,
            out_indices=out_indices,
            init_cfg=init_cfg)
        self.stem_stride = stem_stride
        self.conv1 = conv_bn_relu(3, int(32 * width_mult), 3, stride=stem_stride)
        self.reference_init()
