"""Model-level utilities: checkpoint conversion from the reference code bases, HSAKD's rotation
batch."""
from . import ffsd_converter, unixkd_converter  # noqa: F401  (register --layout ffsd / unixkd)
from .hsakd_converter import map_hsakd_keys
from .reference_converter import (CLASSIFIER_PREFIXES, LAYOUTS, ReferenceLayout, convert_checkpoint,
                                  convert_state_dict, detect_layout, extract_reference_state_dict,
                                  get_layout, map_classifier_keys, register_layout,
                                  verify_state_dict)
from .rotation import NUM_ROTATIONS, rotate_batch, rotation_summed_class_logits, unrotated_rows

__all__ = [
    'CLASSIFIER_PREFIXES', 'LAYOUTS', 'ReferenceLayout', 'convert_checkpoint',
    'convert_state_dict', 'detect_layout', 'extract_reference_state_dict', 'get_layout',
    'map_classifier_keys', 'register_layout', 'verify_state_dict', 'map_hsakd_keys',
    'NUM_ROTATIONS', 'rotate_batch', 'rotation_summed_class_logits', 'unrotated_rows'
]
