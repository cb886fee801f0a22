"""Reference key names → mmkd key names for a plain classifier.

mmkd backbones keep the reference module names, so a reference key maps to ``backbone.<key>``,
except the final classifier layer, which is mmpretrain's ``head.fc`` (``fc.*`` for the CIFAR
ResNet/WRN and torchvision, ``classifier.*`` VGG, ``classifier.0.*`` MobileNetV2-half,
``linear.*`` ShuffleV1/V2 and the kuangliu ResNets, ...). A backbone module whose mapping is not
a pure rename (MobileNetV2-TfKD's 1×1-conv classifier becomes a Linear) defines a module-level
``convert_reference_state_dict(state_dict) -> state_dict``, which is used whenever it exists.
"""
import importlib
from collections import OrderedDict
from typing import Any, Callable, Dict, Mapping, Optional

import torch.nn as nn

from mmkd.utils.errors import ConfigError
from .state_dict import strip_data_parallel

#: classifier-layer prefix of backbones whose module has no ``convert_reference_state_dict``
#: (the mapping is then a pure rename, see each backbone module's docstring)
CLASSIFIER_PREFIXES: Dict[str, str] = {
    'ResNetCifar': 'fc.',  # RepDistiller models/resnet.py
    'WideResNetCifar': 'fc.',  # models/wrn.py
    'VGGCifar': 'classifier.',  # models/vgg.py
    'MobileNetV2Cifar': 'classifier.0.',  # models/mobilenetv2.py (Sequential(Linear))
    'ShuffleNetV1Cifar': 'linear.',  # models/ShuffleNetv1.py
    'ShuffleNetV2Cifar': 'linear.',  # models/ShuffleNetv2.py
}


def classifier_of(model: nn.Module) -> nn.Module:
    """``model`` itself if it is a classifier with a backbone and a head, else a ConfigError."""
    if not (hasattr(model, 'backbone') and hasattr(model, 'head')):
        kind = type(model).__name__
        extra = (' A distillation config is not a conversion target: pass the student/teacher '
                 'model config (e.g. configs/_base_/models/resnet32x4.py).'
                 if 'Distiller' in kind else '')
        raise ConfigError(f'The conversion target must be a classifier with a backbone and a '
                          f'head (an mmpretrain ImageClassifier); got {kind}.{extra}')
    return model


def backbone_converter(model: nn.Module) -> Optional[Callable[[Mapping[str, Any]], Dict]]:
    """The backbone module's ``convert_reference_state_dict``, if it defines one."""
    backbone = classifier_of(model).backbone
    module = importlib.import_module(type(backbone).__module__)
    fn = getattr(module, 'convert_reference_state_dict', None)
    return fn if callable(fn) else None


def classifier_prefix(model: nn.Module, state_dict: Optional[Mapping[str, Any]] = None) -> str:
    """The reference name of the classifier layer of ``model``'s backbone.

    From the backbone's ``reference_classifier_prefix`` attribute, :data:`CLASSIFIER_PREFIXES`,
    or, for a backbone mmkd does not know, the one usual prefix whose ``weight`` is in
    ``state_dict`` with the head's shape.
    """
    backbone = classifier_of(model).backbone
    prefix = getattr(backbone, 'reference_classifier_prefix', None)
    if prefix is None:
        prefix = CLASSIFIER_PREFIXES.get(type(backbone).__name__)
    if prefix is not None:
        return prefix
    fc = getattr(model.head, 'fc', None)
    if state_dict is not None and fc is not None:
        found = [
            p for p in ('fc.', 'linear.', 'classifier.0.', 'classifier.', 'head.') if p +
            'weight' in state_dict and tuple(state_dict[p +
                                                        'weight'].shape) == tuple(fc.weight.shape)
        ]
        if len(found) == 1:
            return found[0]
    raise ConfigError(f'mmkd does not know the reference name of the classifier of backbone '
                      f'{type(backbone).__name__}: add it to CLASSIFIER_PREFIXES in '
                      f'{__name__} or give its module a convert_reference_state_dict().')


def map_classifier_keys(state_dict: Mapping[str, Any], model: nn.Module) -> Dict[str, Any]:
    """Reference key names → mmkd ``ImageClassifier`` key names (the default ``map_keys``)."""
    state_dict = strip_data_parallel(state_dict)
    convert = backbone_converter(model)
    if convert is not None:
        return OrderedDict(convert(state_dict))
    prefix = classifier_prefix(model, state_dict)
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            out['head.fc.' + key[len(prefix):]] = value
        else:
            out['backbone.' + key] = value
    return out
