"""Model-level services: model configs, the frozen-network service, state-dict comparison,
checkpoint conversion from the reference code bases, HSAKD's rotation batch.

A reference layout lives in its own module (``register_layout`` at import, see
:mod:`.reference_layouts`); importing it here, once, makes it a ``--layout`` choice.
"""
from . import ffsd_converter, hsakd_converter, unixkd_converter  # noqa: F401  (--layout ...)
from .frozen import (FrozenNetworkOwner, build_frozen_network, check_same_classes, freeze,
                     load_strict)
from .hsakd_converter import map_hsakd_keys
from .model_config import build_classifier, model_cfg_from, num_classes_of, resolve_config_path
from .reference_converter import (CLASSIFIER_PREFIXES, LAYOUTS, ReferenceLayout, convert_checkpoint,
                                  convert_state_dict, detect_layout, extract_reference_state_dict,
                                  get_layout, map_classifier_keys, register_layout,
                                  verify_state_dict)
from .rotation import (NUM_ROTATIONS, RotationBatch, rotate_batch, rotation_summed_class_logits,
                       unrotated_rows)
from .state_dict import StateDictDiff, extract_state_dict, state_dict_diff

__all__ = [
    'CLASSIFIER_PREFIXES', 'LAYOUTS', 'ReferenceLayout', 'convert_checkpoint', 'convert_state_dict',
    'detect_layout', 'extract_reference_state_dict', 'get_layout', 'map_classifier_keys',
    'register_layout', 'verify_state_dict', 'map_hsakd_keys', 'NUM_ROTATIONS', 'RotationBatch',
    'rotate_batch', 'rotation_summed_class_logits', 'unrotated_rows', 'FrozenNetworkOwner',
    'build_frozen_network', 'check_same_classes', 'freeze', 'load_strict', 'build_classifier',
    'model_cfg_from', 'num_classes_of', 'resolve_config_path', 'StateDictDiff',
    'extract_state_dict', 'state_dict_diff'
]
