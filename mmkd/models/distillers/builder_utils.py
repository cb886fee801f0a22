"""Building the networks a distiller owns: configs by path or inline, checkpoints checked by key."""
import os.path as osp
from typing import Iterable, Union

import torch.nn as nn
from mmengine.config import Config

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError, ConfigError

#: the repository (or installed package) root that holds ``configs/``
PACKAGE_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONVERTER = 'tools/model_converters/convert_reference.py'


def resolve_config_path(path: str) -> str:
    """Find a config file: as given, ``mmkd::<path under configs/>``, or relative to mmkd's root."""
    candidates = []
    if path.startswith('mmkd::'):
        rel = path[len('mmkd::'):]
        candidates += [osp.join(PACKAGE_ROOT, 'configs', rel),
                       osp.join(PACKAGE_ROOT, 'mmkd', '.mim', 'configs', rel)]
    else:
        candidates += [path, osp.join(PACKAGE_ROOT, path)]
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise ConfigError(f'Model config {path!r} not found (looked at {", ".join(candidates)}).')


def model_cfg_from(spec: Union[str, dict]) -> dict:
    """Turn a student/teacher spec into a model config dict.

    ``spec`` is a config file path (its ``model`` is used), an inline model dict, or a dict with
    ``cfg_path`` plus keys that override the file's model (e.g. ``head=dict(num_classes=10)``).
    """
    if isinstance(spec, str):
        spec = dict(cfg_path=spec)
    spec = dict(spec)
    cfg_path = spec.pop('cfg_path', None)
    if cfg_path is None:
        if 'type' not in spec:
            raise ConfigError('A student/teacher must be a config path, a dict with `cfg_path`, '
                              f'or an inline model dict with `type`; got keys {sorted(spec)}.')
        return spec
    file_cfg = Config.fromfile(resolve_config_path(cfg_path))
    if 'model' not in file_cfg:
        raise ConfigError(f'{cfg_path} has no `model` to use as a student/teacher.')
    model = file_cfg.model.to_dict()
    if spec:  # merged recursively (``_delete_=True`` honoured), as ``--cfg-options`` does
        merged = Config(dict(model=model))
        merged.merge_from_dict(dict(model=spec))
        model = merged.model.to_dict()
    return dict(model)


def build_classifier(spec: Union[str, dict]) -> nn.Module:
    cfg = model_cfg_from(spec)
    cfg.pop('data_preprocessor', None)  # the distiller preprocesses the batch once for all nets
    return MODELS.build(cfg)


def num_classes_of(classifier: nn.Module):
    head = getattr(classifier, 'head', None)
    return getattr(head, 'num_classes', None)


def _looks_like_reference(keys: Iterable[str]) -> bool:
    keys = list(keys)
    return bool(keys) and not any(k.startswith(('backbone.', 'neck.', 'head.')) for k in keys)


def extract_state_dict(checkpoint, path: str) -> dict:
    """The model weights of an mmkd/mmengine checkpoint (or a bare state dict)."""
    if not isinstance(checkpoint, dict):
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
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    # a full distillation checkpoint: use its student
    if state and all(k.startswith(('student.', 'teacher.', 'connectors.', 'distill_losses.',
                                   'data_preprocessor.')) for k in state):
        state = {k[len('student.'):]: v for k, v in state.items() if k.startswith('student.')}
    return state


def load_weights_strict(model: nn.Module, path: str, role: str = 'teacher') -> None:
    """Load ``path`` into ``model``; any missing or unexpected key is a :class:`CheckpointError`."""
    state = extract_state_dict(safe_load(path), path)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in own
                  if k in state and hasattr(state[k], 'shape') and state[k].shape != own[k].shape]
    if missing or unexpected or mismatched:
        def show(items):
            return ', '.join(items[:8]) + (f' (+{len(items) - 8} more)' if len(items) > 8 else '')
        parts = [f'The {role} checkpoint {path} does not fit the {role} config.']
        if missing:
            parts.append(f'Missing keys ({len(missing)}): {show(missing)}.')
        if unexpected:
            parts.append(f'Unexpected keys ({len(unexpected)}): {show(unexpected)}.')
        if mismatched:
            parts.append(f'Shape mismatch ({len(mismatched)}): {show(mismatched)}.')
        if _looks_like_reference(state):
            parts.append(f'The keys look like a reference-code layout: convert it with '
                         f'python {CONVERTER} {path} OUT.pth --layout repdistiller --config '
                         f'MODEL_CONFIG.')
        else:
            parts.append(f'Check that the {role} config is the architecture this checkpoint was '
                         'trained with.')
        raise CheckpointError(' '.join(parts))
    model.load_state_dict(state, strict=True)
