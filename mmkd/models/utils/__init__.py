"""Model-level services: model configs, the frozen-network service, state-dict comparison, and
checkpoint conversion from the reference code bases.

Every module of this package is imported with it, so a reference layout defined in its own
module (``register_layout`` at import, see :mod:`.reference_layouts`) is always registered.
"""
from mmkd.utils.import_all import import_submodules
from .reference_converter import (CLASSIFIER_PREFIXES, LAYOUTS, ReferenceLayout,
                                  convert_checkpoint, convert_state_dict, detect_layout,
                                  extract_reference_state_dict, get_layout, map_classifier_keys,
                                  register_layout, verify_state_dict)
from .state_dict import StateDictDiff, extract_state_dict, state_dict_diff

import_submodules(__name__)

__all__ = [
    'CLASSIFIER_PREFIXES', 'LAYOUTS', 'ReferenceLayout', 'StateDictDiff', 'convert_checkpoint',
    'convert_state_dict', 'detect_layout', 'extract_reference_state_dict', 'extract_state_dict',
    'get_layout', 'map_classifier_keys', 'register_layout', 'state_dict_diff',
    'verify_state_dict'
]
