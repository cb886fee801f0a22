"""The online distiller: several trained networks and auxiliary modules, one optimizer each.

Online methods (FFSD, HSSAKD, mutual learning) train every network they hold. Each trained
*part* (a network or an auxiliary module such as a fusion module or a decoder) is a direct child
module registered with :meth:`BaseOnlineDistiller.add_part` and gets its own optimizer wrapper,
built by :class:`~mmkd.engine.optimizers.OnlinePartsOptimWrapperConstructor` from the
``optim_wrapper`` entry of the same name (an mmengine ``OptimWrapperDict``). One part is the
*deliverable*: ``predict``/``tensor`` run it alone, ``tools/test.py`` evaluates it and
:meth:`student_state_dict` (``student_last.pth``/``student_best.pth``) exports it.

One training iteration (:meth:`BaseOnlineDistiller.train_step`):

1. the batch is preprocessed once;
2. :meth:`forward_train` runs every forward the method needs and returns a state object;
3. for each part in :meth:`update_order`, :meth:`part_losses` builds that part's losses from the
   state (and from anything the earlier updates of this iteration stored in it), and the part's
   wrapper does backward, step and zero_grad (mmengine ``OptimWrapper.update_params``).

This is mmrazor's DAFL/DataFree ``train_step`` pattern (``optim_wrapper[name].optim_context`` +
``update_params`` per part) with the order and the parts declared by the subclass. Parts are
direct children so that ``MMSeparateDistributedDataParallel`` wraps each one on its own; every
forward of a trained part therefore goes through the part's ``__call__`` (never a sub-module of
it), and forwards whose outputs are only used as targets run under ``torch.no_grad()``.

Logged values are ``<part>.<term>`` (e.g. ``student1.loss_ce``) and ``<part>.loss``, the sum a
part's optimizer minimised.
"""
from collections import OrderedDict
from contextlib import ExitStack
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict

from mmkd.utils.errors import ConfigError


class BaseOnlineDistiller(BaseModel):
    """Named trained parts, a declared deliverable and a declared order of updates.

    Subclasses build their parts with :meth:`add_part`, set :attr:`deliverable`, and implement
    :meth:`forward_train` and :meth:`part_losses` (and :meth:`update_order` when the order is not
    the order the parts were added in).

    Args:
        data_preprocessor: as for every mmkd distiller (default ``ClsDataPreprocessor``).
        init_cfg: mmengine init config.
    """

    #: hooks every online run needs, merged by the tools into any ``custom_hooks`` a config sets
    #: (``merge_required_hooks``): the epoch of per-term warm-ups, the deliverable's checkpoints
    required_hooks = (dict(type='DistillationEpochHook'), dict(type='StudentCheckpointHook'))

    #: name of the part that ``predict``/``tensor`` run and the export writes; a subclass may
    #: make it a property that changes during training (HSSAKD: the best peer of the last
    #: validation, kept in a buffer so that checkpoints restore it)
    deliverable: str = ''

    def __init__(self, data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        elif isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self._part_names: List[str] = []
        self.epoch = 0
        # checkpoints keep `<part>.<key>` whether or not the parts are wrapped for distributed
        # training (mmengine saves `model.state_dict()` but loads with wrappers unwrapped)
        self._register_state_dict_hook(_unwrapped_part_keys)

    # ------------------------------------------------------------------ parts
    def add_part(self, name: str, module: nn.Module) -> nn.Module:
        """Register ``module`` as the trained part ``name`` (a direct child, its own optimizer)."""
        if not name.isidentifier() or '.' in name:
            raise ConfigError(f'Online part name {name!r} must be a Python identifier.')
        if name in self._part_names or name in self._modules:
            raise ConfigError(f'Online part {name!r} is declared twice.')
        self.add_module(name, module)
        self._part_names.append(name)
        return module

    @property
    def part_names(self) -> List[str]:
        """Names of the trained parts, in the order they were added."""
        return list(self._part_names)

    def part(self, name: str) -> nn.Module:
        """The part ``name`` (possibly wrapped for distributed training)."""
        if name not in self._part_names:
            raise ConfigError(f'{type(self).__name__} has no part {name!r}; its parts are '
                              f'{", ".join(self._part_names)}.')
        return self._modules[name]

    def unwrapped_part(self, name: str) -> nn.Module:
        """The part ``name`` without a distributed wrapper (for attribute access)."""
        module = self.part(name)
        return getattr(module, 'module', module) if _is_ddp(module) else module

    def online_parts(self) -> 'OrderedDict[str, nn.Module]':
        """Name -> module of every part that gets an optimizer (the constructor's contract)."""
        return OrderedDict((n, self._modules[n]) for n in self._part_names)

    def update_order(self) -> Sequence[str]:
        """Parts in the order their optimizers step within one iteration."""
        return self.part_names

    @property
    def student(self) -> nn.Module:
        """The deliverable (what hooks and tools that look for ``model.student`` read)."""
        return self.unwrapped_part(self.deliverable)

    def student_state_dict(self) -> dict:
        """The deliverable's weights (``student_last.pth``/``student_best.pth``)."""
        return self.student.state_dict()

    # ------------------------------------------------------------------ hooks
    def set_epoch(self, epoch: int) -> None:
        """0-based epoch about to be trained (``DistillationEpochHook``)."""
        self.epoch = int(epoch)

    # ------------------------------------------------------------------ training
    def forward_train(self, inputs: torch.Tensor, data_samples) -> Any:
        """Every forward of one iteration, before any update; returns the state."""
        raise NotImplementedError

    def part_losses(self, name: str, state: Any) -> Dict[str, torch.Tensor]:
        """The losses part ``name`` minimises (keys containing ``loss`` are summed)."""
        raise NotImplementedError

    def check_optim_wrapper(self, optim_wrapper) -> None:
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise ConfigError(
                f'{type(self).__name__} trains {len(self._part_names)} parts with one optimizer '
                f'each ({", ".join(self._part_names)}); set optim_wrapper = dict(constructor='
                "'OnlinePartsOptimWrapperConstructor', <part>=dict(optimizer=...), ...).")
        names = set(optim_wrapper.keys())
        missing = [n for n in self._part_names if n not in names]
        extra = sorted(names - set(self._part_names))
        if missing or extra:
            raise ConfigError(f'{type(self).__name__}: optimizer wrappers {sorted(names)} do '
                              f'not match the parts {self._part_names} (missing {missing}, '
                              f'unknown {extra}).')

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """All forwards, then one update per part in :meth:`update_order`."""
        self.check_optim_wrapper(optim_wrapper)
        order = list(self.update_order())
        data = self.data_preprocessor(data, True)
        with ExitStack() as stack:
            for name in order:
                stack.enter_context(optim_wrapper[name].optim_context(self.part(name)))
            state = self.forward_train(data['inputs'], data['data_samples'])
        log_vars = OrderedDict()
        for name in order:
            wrapper = optim_wrapper[name]
            with wrapper.optim_context(self.part(name)):
                losses = self.part_losses(name, state)
            loss, part_logs = self.parse_losses(losses)
            wrapper.update_params(loss)
            for key, value in part_logs.items():
                log_vars[f'{name}.{key}'] = value
        return log_vars

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        """Every part's losses for one batch, without any update (analysis, tests)."""
        state = self.forward_train(inputs, data_samples)
        losses = OrderedDict()
        for name in self.update_order():
            for key, value in self.part_losses(name, state).items():
                losses[f'{name}.{key}'] = value
        return losses

    # ------------------------------------------------------------------ inference
    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.part(self.deliverable)(inputs, data_samples, mode='tensor')
        raise RuntimeError(f'Invalid mode "{mode}".')

    def predict(self, inputs: torch.Tensor, data_samples=None):
        """The deliverable's predictions (subclasses add the other networks' scores)."""
        return self.part(self.deliverable)(inputs, data_samples, mode='predict')


def _unwrapped_part_keys(module, state_dict, prefix, local_metadata):
    """State-dict hook: ``<part>.module.<key>`` -> ``<part>.<key>`` for wrapped parts."""
    wrapped = [f'{prefix}{n}.' for n in module._part_names if _is_ddp(module._modules[n])]
    if not wrapped:
        return state_dict
    items = list(state_dict.items())
    state_dict.clear()
    for key, value in items:
        for head in wrapped:
            if key.startswith(head + 'module.'):
                key = head + key[len(head) + len('module.'):]
                break
        state_dict[key] = value
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        for key in list(metadata):
            for head in wrapped:
                if key == head + 'module' or key.startswith(head + 'module.'):
                    metadata[head + key[len(head) + len('module.'):] if key != head +
                             'module' else head[:-1]] = metadata.pop(key)
                    break
    return state_dict


def _is_ddp(module: nn.Module) -> bool:
    return isinstance(module, nn.parallel.DistributedDataParallel)
