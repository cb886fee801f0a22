"""Model-level utilities (checkpoint conversion from the reference code bases)."""
from . import unixkd_converter  # noqa: F401  (registers --layout unixkd)
from .reference_converter import (CLASSIFIER_PREFIXES, LAYOUTS, ReferenceLayout,
                                  convert_checkpoint, convert_state_dict, detect_layout,
                                  extract_reference_state_dict, get_layout, map_classifier_keys,
                                  register_layout, verify_state_dict)
from . import ffsd_converter  # noqa: F401,E402  (registers --layout ffsd)

__all__ = [
    'CLASSIFIER_PREFIXES', 'LAYOUTS', 'ReferenceLayout', 'convert_checkpoint',
    'convert_state_dict', 'detect_layout', 'extract_reference_state_dict', 'get_layout',
    'map_classifier_keys', 'register_layout', 'verify_state_dict'
]
