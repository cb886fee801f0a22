"""The frozen-network service: every model that holds a network it does not train (a
distiller's teacher, the frozen backbone of an HSAKD teacher, the distilled backbone under a
linear probe) builds, loads, freezes and keeps it in eval mode through this module.

* :func:`build_frozen_network` — build from a config path (``mmkd::``/``mmpretrain::`` too) or an
  inline dict, load the checkpoint strictly, freeze;
* :func:`load_strict` — read a checkpoint and load it only if every key and shape fits, else one
  :class:`~mmkd.utils.errors.CheckpointError` naming the keys (:mod:`.state_dict`);
* :func:`freeze` — ``requires_grad=False``, eval mode, and ``_is_init`` (:func:`mark_loaded`)
  so the Runner's ``init_weights()`` never re-initialises loaded weights;
* :class:`FrozenNetworkOwner` — a mixin whose ``train()`` keeps every frozen submodule in eval
  mode (BatchNorm statistics and dropout never change);
* :func:`check_same_classes` — teacher and student must predict the same classes.
"""
import os.path as osp
import warnings
from typing import Callable, Mapping, Optional, Union

import torch.nn as nn

from mmkd.utils.checkpoint import is_remote, safe_load
from mmkd.utils.errors import CheckpointError, ConfigError
from .model_config import build_classifier, num_classes_of
from .state_dict import CONVERTER, extract_state_dict, looks_like_reference, state_dict_diff

#: attribute that marks a module as frozen by :func:`freeze`
FROZEN_FLAG = '_mmkd_frozen'


def freeze(module: nn.Module, loaded: bool = True) -> nn.Module:
    """Freeze ``module`` in place: no gradients, eval mode (kept by :class:`FrozenNetworkOwner`)
    and, for ``loaded`` weights, never re-initialised (``_is_init``: mmengine's
    ``init_weights()`` skips an initialised module). ``loaded=False`` is for a network whose
    weights are loaded later, in ``init_weights`` (mark it with :func:`mark_loaded` then)."""
    module.requires_grad_(False)
    module.eval()
    setattr(module, FROZEN_FLAG, True)
    if loaded:
        mark_loaded(module)
    return module


def mark_loaded(module: nn.Module) -> nn.Module:
    """The Runner's ``init_weights()`` must not re-initialise ``module``'s loaded weights."""
    module.is_init = True  # BaseModule's public setter (a plain attribute on other modules)
    return module


def is_frozen(module: nn.Module) -> bool:
    return bool(getattr(module, FROZEN_FLAG, False))


class FrozenNetworkOwner:
    """Mixin (before the ``nn.Module`` base) for a model that holds frozen networks: after
    ``train(mode)`` every module marked by :func:`freeze` is back in eval mode."""

    def train(self, mode: bool = True):
        super().train(mode)
        for module in self.modules():
            if is_frozen(module):
                module.eval()
        return self


def load_strict(module: nn.Module,
                path: str,
                role: str = 'teacher',
                *,
                what: Optional[str] = None,
                select: Optional[Callable[[Mapping], Mapping]] = None,
                target: Optional[Mapping] = None,
                missing_hint: str = '',
                fit_hint: Optional[str] = None) -> None:
    """Load checkpoint ``path`` into ``module`` if, and only if, it fits exactly.

    Args:
        module: the network to load into.
        path: an mmkd/mmengine checkpoint, local or a URL (``state_dict`` container,
            ``module.`` prefixes and full distillation checkpoints handled by
            :func:`extract_state_dict`).
        role: what the checkpoint is, for the messages (``'teacher'``, ``'student'``, ...).
        what: what it must fit (default ``'the <role> config'``).
        select: maps the checkpoint's weights to the ones to load (e.g. drop ``aux_branches.*``).
        target: the part of ``module.state_dict()`` the weights must fit (default: all of it);
            keys of ``module`` outside ``target`` keep their values.
        missing_hint: appended when ``path`` does not exist (how to get the checkpoint).
        fit_hint: appended when the weights do not fit (default: converter or config advice).
    """
    if not is_remote(path) and not osp.isfile(path):
        raise CheckpointError(f'{role.capitalize()} checkpoint {path} does not exist. '
                              f'{missing_hint}'.strip())
    state = extract_state_dict(safe_load(path), path)
    if select is not None:
        state = select(state)
    own = module.state_dict() if target is None else target
    diff = state_dict_diff(state, own)
    if not diff.ok:
        what = what or f'the {role} config'
        if fit_hint is None:
            if looks_like_reference(state):
                fit_hint = (f'The keys look like a reference-code layout: convert it with python '
                            f'{CONVERTER} {path} OUT.pth --layout repdistiller --config '
                            'MODEL_CONFIG.')
            else:
                fit_hint = (f'Check that the {role} config is the architecture this checkpoint '
                            'was trained with.')
        raise CheckpointError(f'The {role} checkpoint {path} does not fit {what}. '
                              f'{diff.describe(limit=8)} {fit_hint}')
    result = module.load_state_dict(state, strict=target is None)
    if result.unexpected_keys or any(k in own for k in result.missing_keys):
        raise CheckpointError(f'The {role} checkpoint {path} did not load: {result}.')


def build_frozen_network(spec: Union[str, dict],
                         checkpoint: Optional[str] = None,
                         *,
                         role: str = 'teacher',
                         owner: str = 'The distiller',
                         required: bool = True,
                         same_classes_as: Optional[nn.Module] = None,
                         validate: Optional[Callable[[nn.Module], None]] = None,
                         missing_hint: str = '',
                         fit_hint: Optional[str] = None) -> nn.Module:
    """Build the network of ``spec``, check it (``validate(network)`` raises for a network the
    owner cannot use; class count against ``same_classes_as``, the student), load
    ``checkpoint`` strictly and freeze it.

    With ``checkpoint=None`` and ``required=True`` a loud warning says the network is untrained
    (tests and dry runs; ``tools/test.py`` sets ``required=False`` because the full checkpoint
    carries the network).
    """
    network = build_classifier(spec)
    if validate is not None:
        validate(network)
    if same_classes_as is not None:
        check_same_classes(same_classes_as, network)
    if checkpoint is not None:
        load_strict(network, checkpoint, role, missing_hint=missing_hint, fit_hint=fit_hint)
    elif required:
        warnings.warn(
            f'{owner}: {role}_ckpt is None, the {role.upper()} IS UNTRAINED. This is only meant '
            f'for tests and dry runs; set model.{role}_ckpt to a trained {role}.',
            stacklevel=3)
    return freeze(network)


def check_same_classes(student: nn.Module, teacher: nn.Module) -> None:
    """Teacher and student must predict the same number of classes."""
    s, t = num_classes_of(student), num_classes_of(teacher)
    if s is not None and t is not None and s != t:
        raise ConfigError(f'The teacher predicts {t} classes but the student {s}; '
                          'distillation needs the same classes (set head.num_classes).')
