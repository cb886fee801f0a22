"""UNIXKD's MobileNetV2 (``mobile_half``, xuguodong03/UNIXKD ``models/mobilenetv2.py``).

The network is RepDistiller's CIFAR MobileNetV2 (T = 6, width 0.5, stride-2 stem, same module
names, parameters, init and features, see :mod:`mmkd.models.backbones.mobilenetv2_cifar`); the
one difference is the classifier: UNIXKD replaced RepDistiller's ``nn.Sequential(nn.Linear)`` by
a bare ``nn.Linear``, so UNIXKD checkpoints store ``classifier.weight`` / ``classifier.bias``
(RepDistiller: ``classifier.0.*``). In mmkd the classifier is the head's ``fc`` either way; the
subclass only records the reference name for checkpoint conversion.
"""
from mmkd.registry import MODELS
from .mobilenetv2_cifar import MobileNetV2Cifar


@MODELS.register_module()
class MobileNetV2UNIXKD(MobileNetV2Cifar):
    """:class:`MobileNetV2Cifar` whose reference checkpoints name the classifier ``classifier``.

    Args: as :class:`MobileNetV2Cifar` (``width_mult=0.5``, ``expand_ratio=6``).
    """

    #: UNIXKD's classifier is ``nn.Linear`` stored as ``classifier.*``
    reference_classifier_prefix = 'classifier.'
