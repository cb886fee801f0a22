"""Comparing a state dict with a model's, and reading the weights out of a checkpoint.

A leaf module (torch and mmkd's error types only) so that every place that loads or checks
weights — the frozen-network service, the reference converter, the checkpoint-compatibility hook,
the HSAKD teacher and linear evaluation — reports a mismatch the same way::

    diff = state_dict_diff(state, model.state_dict())
    if not diff.ok:
        raise CheckpointError(f'{path} does not fit the model. {diff.describe()}')

which reads ``Missing keys (2): a, b. Unexpected keys (1): c. Shape mismatches (1): d (3,) vs
(4,).``
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, List, Mapping, Sequence

from mmkd.utils.errors import CheckpointError

#: the prefix ``nn.DataParallel`` / ``DistributedDataParallel`` adds to every key
DATA_PARALLEL_PREFIX = 'module.'
#: what error messages call the converter of reference checkpoints
CONVERTER = 'tools/model_converters/convert_reference.py'
#: top-level modules of a full distillation checkpoint
DISTILLER_PREFIXES = ('student.', 'teacher.', 'connectors.', 'distill_losses.')
#: top-level module names of an mmkd classifier
CLASSIFIER_PREFIXES = ('backbone.', 'neck.', 'head.')


def format_keys(items: Sequence[str], limit: int = 6) -> str:
    """``a, b, c (+4 more)``."""
    items = list(items)
    more = f' (+{len(items) - limit} more)' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more


@dataclass
class StateDictDiff:
    """What keeps a state dict from loading strictly into a target: keys the target has and the
    state dict lacks (``missing``), the reverse (``unexpected``) and ``'key (a,) vs (b,)'``
    entries whose shapes differ (``mismatched``; state dict first, target second)."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self, limit: int = 6) -> str:
        """One sentence per non-empty list, e.g. ``Missing keys (3): a, b, c.``."""
        parts = []
        for title, items in (('Missing keys', self.missing), ('Unexpected keys', self.unexpected),
                             ('Shape mismatches', self.mismatched)):
            if items:
                parts.append(f'{title} ({len(items)}): {format_keys(items, limit)}.')
        return ' '.join(parts)


def state_dict_diff(state_dict: Mapping[str, Any], target: Mapping[str, Any]) -> StateDictDiff:
    """Compare ``state_dict`` with ``target`` (e.g. ``model.state_dict()``) by key and shape."""
    diff = StateDictDiff(
        missing=[k for k in target if k not in state_dict],
        unexpected=[k for k in state_dict if k not in target])
    for key, ref in target.items():
        value = state_dict.get(key)
        if value is None or not hasattr(value, 'shape') or not hasattr(ref, 'shape'):
            continue
        if tuple(value.shape) != tuple(ref.shape):
            diff.mismatched.append(f'{key} {tuple(value.shape)} vs {tuple(ref.shape)}')
    return diff


def strip_data_parallel(state_dict: Mapping[str, Any]) -> 'OrderedDict[str, Any]':
    """Remove the ``module.`` prefix of ``nn.DataParallel`` checkpoints."""
    return OrderedDict(
        (k[len(DATA_PARALLEL_PREFIX):] if k.startswith(DATA_PARALLEL_PREFIX) else k, v)
        for k, v in state_dict.items())


def looks_like_reference(keys: Iterable[str]) -> bool:
    """Keys of a bare reference network (no ``backbone.``/``neck.``/``head.`` prefix)."""
    keys = list(keys)
    return bool(keys) and not any(k.startswith(CLASSIFIER_PREFIXES) for k in keys)


def extract_state_dict(checkpoint: Any, path: str) -> 'OrderedDict[str, Any]':
    """The model weights of an mmkd/mmengine checkpoint (or of a bare state dict).

    ``module.`` prefixes are stripped; a full distillation checkpoint gives its student.
    A checkpoint saved by reference code (``model``/``net`` container) is refused with the
    converter command that turns it into an mmkd checkpoint.
    """
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(f'{path} does not hold a state dict (found '
                              f'{type(checkpoint).__name__}).')
    if 'state_dict' in checkpoint:
        state = checkpoint['state_dict']
    elif 'model' in checkpoint or 'net' in checkpoint:
        key = 'model' if 'model' in checkpoint else 'net'
        raise CheckpointError(
            f'{path} looks like a checkpoint saved by reference code (top-level key {key!r}). '
            f'Convert it first: python {CONVERTER} {path} OUT.pth --layout '
            f'{"repdistiller" if key == "model" else "hsakd"} --config MODEL_CONFIG')
    else:
        state = checkpoint
    state = strip_data_parallel(state)
    if state and all(k.startswith(DISTILLER_PREFIXES + ('data_preprocessor.', )) for k in state):
        state = OrderedDict(
            (k[len('student.'):], v) for k, v in state.items() if k.startswith('student.'))
    return state
