"""Key mapping of HSAKD/HSSAKD checkpoints (``--layout hsakd``; HSAKD models/*.py).

The reference scripts save ``{'net': state_dict, 'acc', 'epoch', 'optimizer'}`` where the state
dict holds ``backbone.<plain network key>`` and ``auxiliary_classifier.<branch key>``:

* ``backbone.*`` is the plain network of the reference zoo: it maps like a plain checkpoint of
  that architecture (classifier layer → ``head.fc.*``, the rest → ``backbone.*``; the classifier's
  reference name comes from the target backbone, e.g. ``fc.`` for WRN/ResNet, ``classifier.`` for
  VGG and HSAKD's MobileNetV2, ``linear.`` for ShuffleNets and ResNet-50);
* ``auxiliary_classifier.block_extractor<l>.*`` → ``aux_branches.<l-1>.extractor.*``,
  ``auxiliary_classifier.fc<l>.*`` → ``aux_branches.<l-1>.fc.*``, WRN's ``bn<l>.*`` →
  ``aux_branches.<l-1>.bn.*`` and MobileNetV2's ``conv2_<l>.*`` → ``aux_branches.<l-1>.conv2.*``
  (the branch modules keep the reference's inner layout, see
  :mod:`mmkd.models.heads.hsakd_branches`).

The target is an :class:`~mmkd.models.classifiers.AuxBranchClassifier` (teacher or student with
its branches) or, for a student, the plain classifier: then the auxiliary keys are dropped.

This module registers the ``hsakd`` layout itself (see :mod:`.reference_layouts`).
"""
import re
from collections import OrderedDict
from typing import Any, Dict, Mapping

import torch.nn as nn

from .reference_keys import map_classifier_keys
from .reference_layouts import ReferenceLayout, register_layout
from .state_dict import strip_data_parallel

#: reference prefixes of the two halves of an HSAKD model
BACKBONE_PREFIX = 'backbone.'
AUX_PREFIX = 'auxiliary_classifier.'
#: reference module name (without the 1-based branch index) → mmkd ``AuxBranch`` attribute
AUX_MODULES = {'block_extractor': 'extractor', 'fc': 'fc', 'bn': 'bn', 'conv2_': 'conv2'}
_AUX_KEY = re.compile(r'^(block_extractor|fc|bn|conv2_)(\d+)\.(.+)$')


def map_aux_key(key: str) -> str:
    """``block_extractor2.0.layer.1.conv1.weight`` → ``aux_branches.1.extractor.0.layer.1...``.
    A key of no known branch module is returned with an ``auxiliary_classifier.`` prefix, so that
    verification reports it as unexpected."""
    match = _AUX_KEY.match(key)
    if match is None or int(match.group(2)) < 1:
        return AUX_PREFIX + key
    name, index, rest = match.groups()
    return f'aux_branches.{int(index) - 1}.{AUX_MODULES[name]}.{rest}'


def map_hsakd_keys(state_dict: Mapping[str, Any], model: nn.Module) -> Dict[str, Any]:
    """HSAKD ``net`` state dict → mmkd key names for ``model`` (aux classifier or plain)."""
    state_dict = strip_data_parallel(state_dict)
    plain, aux, other = OrderedDict(), OrderedDict(), OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(BACKBONE_PREFIX):
            plain[key[len(BACKBONE_PREFIX):]] = value
        elif key.startswith(AUX_PREFIX):
            aux[key[len(AUX_PREFIX):]] = value
        else:
            other[key] = value  # not an HSAKD key: reported as unexpected by the verification
    out = OrderedDict(map_classifier_keys(plain, model)) if plain else OrderedDict()
    if hasattr(model, 'aux_branches'):
        for key, value in aux.items():
            out[map_aux_key(key)] = value
    out.update(other)
    return out


register_layout(
    ReferenceLayout(
        name='hsakd',
        description="HSAKD / HSSAKD train_*_cifar.py / *_imagenet.py: {'net': {backbone.*, "
        "auxiliary_classifier.*}, 'acc', 'epoch', 'optimizer'}; into an aux-branch classifier "
        '(configs/_base_/models/hsakd/<arch>_aux.py) or, branches dropped, a plain one',
        containers=('net', ),
        map_keys=map_hsakd_keys))
