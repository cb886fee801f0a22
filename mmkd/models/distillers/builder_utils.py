"""What distillers use to build their networks; the implementations live in
:mod:`mmkd.models.utils` (``model_config``: configs by path or inline; ``frozen``: the
frozen-network service; ``state_dict``: checkpoint weights and the key/shape diff)."""
import torch.nn as nn

from mmkd.models.utils.frozen import load_strict
from mmkd.models.utils.model_config import (PACKAGE_ROOT, build_classifier, model_cfg_from,
                                            num_classes_of, resolve_config_path)
from mmkd.models.utils.state_dict import CONVERTER, extract_state_dict

__all__ = [
    'PACKAGE_ROOT', 'CONVERTER', 'build_classifier', 'model_cfg_from', 'num_classes_of',
    'resolve_config_path', 'extract_state_dict', 'load_weights_strict'
]


def load_weights_strict(model: nn.Module, path: str, role: str = 'teacher') -> None:
    """Load ``path`` into ``model``; any missing/unexpected key or shape is a CheckpointError."""
    load_strict(model, path, role)
