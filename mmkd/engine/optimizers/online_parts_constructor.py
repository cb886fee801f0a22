"""One optimizer wrapper per named part of an online distiller (an mmengine ``OptimWrapperDict``).

Config (every key but the wrapper defaults names a part, or a glob pattern of part names)::

    optim_wrapper = dict(
        constructor='OnlinePartsOptimWrapperConstructor',
        # optional defaults for every part's wrapper (tools/train.py --amp sets `type`)
        type='OptimWrapper', clip_grad=None,
        student1=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)),
        fusion=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-5)),
        **{'decoder_*': dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))},
    )

Each entry is an ordinary single-optimizer wrapper config (``optimizer``, optional ``type``,
``paramwise_cfg``, ``constructor``, ``clip_grad`` ...) and is built by mmengine's
``DefaultOptimWrapperConstructor`` (or the entry's own ``constructor``) over that part's
parameters only. A part matched by its exact name uses that entry; otherwise exactly one glob
pattern (``fnmatch``) must match it. A part without an entry, an entry that matches no part and a
part matched by two patterns are each refused with one message.

Parameter schedulers follow mmengine's ``OptimWrapperDict`` rules: one scheduler list shared by
every part, or ``param_scheduler = dict(<part>=[...], ...)`` with an entry for every part.
Optimizer and scheduler states are saved per part in the checkpoint and restored by
``--resume`` (mmengine ``Runner.resume``), so a resumed run continues bit-exactly.

Model to learn from: mmrazor ``SeparateOptimWrapperConstructor``
(mmrazor/engine/optimizers/optimizer_constructor.py), which builds one wrapper per top-level
sub-module; here the distiller declares its parts (``online_parts()``) and bad configs are
reported as one message.
"""
import copy
import fnmatch
from collections import OrderedDict
from typing import Dict, Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as ROOT_CONSTRUCTORS

from mmkd.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmkd.utils.errors import ConfigError

#: top-level keys that are defaults of every part's wrapper, not part names
WRAPPER_DEFAULT_KEYS = ('type', 'loss_scale', 'dtype', 'accumulative_counts', 'clip_grad')


def _parts_of(model: nn.Module) -> 'OrderedDict[str, nn.Module]':
    if is_model_wrapper(model):
        model = model.module
    parts = getattr(model, 'online_parts', None)
    if not callable(parts):
        raise ConfigError(
            f'OnlinePartsOptimWrapperConstructor builds one optimizer per part of an online '
            f'distiller, but {type(model).__name__} declares no parts (online_parts()); use '
            "optim_wrapper = dict(optimizer=...) for this model.")
    return parts()


def match_part_entries(part_names, entry_names) -> Dict[str, str]:
    """Part name -> the config entry that configures it (exact name, else one glob pattern)."""
    part_names, entry_names = list(part_names), list(entry_names)
    chosen, problems = OrderedDict(), []
    for part in part_names:
        if part in entry_names:
            chosen[part] = part
            continue
        patterns = [e for e in entry_names if e not in part_names and fnmatch.fnmatchcase(part, e)]
        if len(patterns) == 1:
            chosen[part] = patterns[0]
        elif len(patterns) > 1:
            problems.append(f'part {part!r} is matched by several entries {patterns}; give it '
                            'its own entry')
        else:
            problems.append(f'part {part!r} has no optimizer: add optim_wrapper.{part} = '
                            'dict(optimizer=dict(type=..., lr=...))')
    used = set(chosen.values())
    for entry in entry_names:
        if entry not in used and not any(fnmatch.fnmatchcase(p, entry) for p in part_names):
            problems.append(f'optim_wrapper.{entry} configures a part that does not exist')
    if problems:
        raise ConfigError('optim_wrapper: ' + '; '.join(problems) + f' (the model\'s parts: '
                          f'{", ".join(part_names)}).')
    return chosen


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class OnlinePartsOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one wrapper per part of an online distiller.

    Args:
        optim_wrapper_cfg: part name (or glob pattern) -> single-optimizer wrapper config, plus
            optional wrapper defaults (:data:`WRAPPER_DEFAULT_KEYS`).
        paramwise_cfg: applied to every part that has no ``paramwise_cfg`` of its own.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        cfg = dict(copy.deepcopy(optim_wrapper_cfg))
        if 'optimizer' in cfg:
            raise ConfigError(
                'OnlinePartsOptimWrapperConstructor: optim_wrapper.optimizer is not used; give '
                'every part its own entry, e.g. optim_wrapper.student1 = dict(optimizer=...).')
        self.defaults = {k: cfg.pop(k) for k in WRAPPER_DEFAULT_KEYS if k in cfg}
        self.paramwise_cfg = paramwise_cfg
        for name, entry in cfg.items():
            if not isinstance(entry, dict) or 'optimizer' not in entry:
                raise ConfigError(f'optim_wrapper.{name} must be a dict with an `optimizer` '
                                  f'(e.g. dict(optimizer=dict(type="SGD", lr=0.1))), got '
                                  f'{entry!r}.')
        self.entries = cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        parts = _parts_of(model)
        chosen = match_part_entries(parts.keys(), self.entries.keys())
        wrappers = OrderedDict()
        for name, module in parts.items():
            entry = copy.deepcopy(self.entries[chosen[name]])
            for key, value in self.defaults.items():
                entry.setdefault(key, copy.deepcopy(value))
            if entry.get('type') == 'AmpOptimWrapper':
                entry.setdefault('loss_scale', 'dynamic')
            constructor = entry.pop('constructor', 'DefaultOptimWrapperConstructor')
            paramwise = entry.pop('paramwise_cfg', self.paramwise_cfg)
            if not any(p.requires_grad for p in module.parameters()):
                raise ConfigError(f'Online part {name!r} has no trainable parameters; it cannot '
                                  'have an optimizer.')
            builder = ROOT_CONSTRUCTORS.build(
                dict(type=constructor, optim_wrapper_cfg=entry, paramwise_cfg=paramwise))
            wrappers[name] = builder(module)
        return OptimWrapperDict(**wrappers)


# mmengine's Runner builds constructors from its root registry (see mmkd/engine/cpu_sync_bn.py)
ROOT_CONSTRUCTORS.register_module(module=OnlinePartsOptimWrapperConstructor, force=True)
