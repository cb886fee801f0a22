"""Reference checkpoint *layouts*: how each reference code base stores its weights.

RepDistiller/CRD/SemCKD save ``{'model': state_dict, 'epoch', 'best_acc', 'optimizer', ...}``;
the Tf-KD repo saves ``{'epoch', 'state_dict', 'optim_dict'}`` (``.pth.tar``, keys sometimes
prefixed ``module.``); torchvision's ImageNet ResNets are a bare state dict; HSAKD saves
``{'net': {backbone.*, auxiliary_classifier.*}, ...}`` (registered in
:mod:`mmkd.models.utils.hsakd_converter`).

**Adding a layout** needs one new module in ``mmkd/models/utils/`` (every module of that package
is imported with it, so the layout is available to ``convert_reference.py --layout <name>``
without touching any other file)::

    # mmkd/models/utils/mycode_converter.py
    from .reference_keys import map_classifier_keys
    from .reference_layouts import ReferenceLayout, register_layout

    def map_mycode_keys(state_dict, model):  # only if the plain mapping is not enough
        ...
        return map_classifier_keys(plain_part, model)

    register_layout(ReferenceLayout(
        name='mycode', description="MyCode train.py: {'weights': state_dict, 'epoch'}",
        containers=('weights', ), map_keys=map_mycode_keys))

Extraction, book-keeping, verification, suggestions and the CLI are layout-agnostic.
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

import torch
import torch.nn as nn

from mmkd.utils.errors import CheckpointError, ConfigError
from .reference_keys import map_classifier_keys


@dataclass(frozen=True)
class ReferenceLayout:
    """How one code base stores a checkpoint.

    Args:
        name: the ``--layout`` value.
        description: who writes it (shown in ``--help`` and error messages).
        containers: top-level keys that hold the state dict, tried in order; empty for a bare
            state dict.
        allow_bare: also accept a bare state dict (no container).
        map_keys: ``(reference_state_dict, model) -> mmkd state dict``; the default is
            :func:`~mmkd.models.utils.reference_keys.map_classifier_keys` (``module.`` stripped,
            classifier → ``head.fc``, the rest → ``backbone.``).
        meta_keys: top-level entries worth keeping in the converted checkpoint's meta (scalars
            only; optimizer states are never kept).
    """

    name: str
    description: str
    containers: Tuple[str, ...] = ()
    allow_bare: bool = False
    map_keys: Optional[Callable[[Mapping[str, Any], nn.Module], Dict[str, Any]]] = None
    meta_keys: Tuple[str, ...] = field(
        default=('epoch', 'best_acc', 'accuracy', 'acc', 'best_acc1', 'arch'))

    def mapper(self) -> Callable[[Mapping[str, Any], nn.Module], Dict[str, Any]]:
        return self.map_keys if self.map_keys is not None else map_classifier_keys


LAYOUTS: 'OrderedDict[str, ReferenceLayout]' = OrderedDict()


def register_layout(layout: ReferenceLayout, force: bool = False) -> ReferenceLayout:
    """Make ``layout`` available by name (``--layout``)."""
    if layout.name in LAYOUTS and not force:
        raise KeyError(f'Reference layout {layout.name!r} is already registered.')
    LAYOUTS[layout.name] = layout
    return layout


def get_layout(layout: Union[str, ReferenceLayout]) -> ReferenceLayout:
    if isinstance(layout, ReferenceLayout):
        return layout
    if layout not in LAYOUTS:
        raise ConfigError(f'Unknown reference layout {layout!r}; choose one of '
                          f'{", ".join(LAYOUTS)}.')
    return LAYOUTS[layout]


register_layout(
    ReferenceLayout(
        name='repdistiller',
        description="RepDistiller / CRD / SemCKD train_teacher.py: {'model': state_dict, 'epoch', "
        "'best_acc' or 'accuracy', 'optimizer'}",
        containers=('model', )))
register_layout(
    ReferenceLayout(
        name='tfkd',
        description="Teacher-free KD train_kd.py / ImageNet_train: {'epoch', 'state_dict', "
        "'optim_dict'} (.pth.tar; keys may start with 'module.')",
        containers=('state_dict', )))
register_layout(
    ReferenceLayout(
        name='torchvision',
        description='torchvision model zoo: a bare state dict (fc.* is the classifier)',
        allow_bare=True))


# ------------------------------------------------------------------ checkpoint inspection
def is_state_dict(obj: Any) -> bool:
    """A non-empty mapping from names to tensors (the weights themselves, not a container)."""
    return (isinstance(obj, Mapping) and len(obj) > 0 and all(isinstance(k, str) for k in obj)
            and all(isinstance(v, torch.Tensor) for v in obj.values()))


def detect_layout(checkpoint: Any) -> Optional[str]:
    """Best guess of the layout of a loaded checkpoint (``None`` if no registered one fits)."""
    if not isinstance(checkpoint, Mapping):
        return None
    for layout in LAYOUTS.values():
        if any(is_state_dict(checkpoint.get(c)) for c in layout.containers):
            return layout.name
    if is_state_dict(checkpoint):
        for layout in LAYOUTS.values():
            if layout.allow_bare:
                return layout.name
    return None


def extract_reference_state_dict(checkpoint: Any,
                                 layout: Union[str, ReferenceLayout],
                                 source: str = 'the checkpoint') -> Tuple[Dict[str, Any], dict]:
    """Return ``(state_dict, meta)``: the weights inside ``checkpoint`` and the scalar entries
    of ``layout.meta_keys`` next to them.

    ``checkpoint`` may also be the state dict itself (already unwrapped).
    """
    layout = get_layout(layout)
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(f'{source} holds a {type(checkpoint).__name__}, not a checkpoint '
                              'dict or state dict.')
    for container in layout.containers:
        inner = checkpoint.get(container)
        if is_state_dict(inner):
            meta = {}
            for key in layout.meta_keys:
                value = _scalar(checkpoint.get(key))
                if value is not None:
                    meta[key] = value
            return dict(inner), meta
    if is_state_dict(checkpoint):
        # a bare state dict (torchvision), or weights already unwrapped by the caller: the key
        # mapping does not depend on the container
        return dict(checkpoint), {}
    guess = detect_layout(checkpoint)
    top = ', '.join(repr(k) for k in list(checkpoint)[:8]) or 'none'
    expected = (' or '.join(
        repr(c) for c in layout.containers) if layout.containers else 'a bare state dict')
    hint = (f' It looks like the {guess!r} layout: use --layout {guess}.'
            if guess and guess != layout.name else '')
    raise CheckpointError(f'{source} does not have the {layout.name!r} layout (expected '
                          f'{expected}; its top-level keys are {top}).{hint}')


def _scalar(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    try:  # numpy scalars
        import numpy as np
        if isinstance(value, np.generic):
            return value.item()
    except ImportError:  # pragma: no cover
        pass
    return None
