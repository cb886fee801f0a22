"""The loss wiring every distiller composes: which loss reads what, through which connector, in
which training stage, with which per-epoch weight.

A distiller declares its terms as ``distill_losses={name: loss_cfg}``. Besides the loss's own
arguments, an entry may set these wiring keys (docs/losses_and_connectors.md):

* ``source`` (or ``student_source`` / ``teacher_source``): what the loss reads on each side
  (:mod:`.feature_access`; default: the loss class's ``source`` attribute, else ``'logits'``);
* ``preact`` (or ``student_preact`` / ``teacher_preact``): stage sources give pre-activation maps
  on that side (default: the loss class's ``preact`` attribute); both variants come from **one**
  forward of each network;
* ``connector``: a trainable module between the features and the loss, built with the measured
  ``s_shape`` / ``t_shape`` of its inputs;
* ``stage``: ``'main'``, ``'init'`` (the initialisation stage of AB/FT/FSP) or ``'both'``;
* ``weight_schedule``: a per-epoch factor (:mod:`.weight_schedules`), e.g.
  ``dict(type='LinearWarmup', epochs=20)``.

Losses and connectors receive, by parameter name, any batch field the distiller provides
(``labels``, ``sample_idx``, ``contrast_idx``, and what a batch transform adds). Every entry logs
as ``loss_<name>``.

:class:`LossWiring` is a plain object; its ``losses`` and ``connectors`` ``ModuleDict`` s are
attached to the owning distiller (state-dict keys ``distill_losses.<name>.*`` and
``connectors.<name>.*``).
"""
import copy
import inspect
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Optional, Tuple

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from .feature_access import NetworkOutputs, is_module_source, uses_aux
from .weight_schedules import WeightSchedule, build_weight_schedule

#: keys of a ``distill_losses`` entry that configure wiring, not the loss itself
WIRING_KEYS = ('source', 'student_source', 'teacher_source', 'preact', 'student_preact',
               'teacher_preact', 'connector', 'stage', 'weight_schedule')
STAGES = ('main', 'init', 'both')

#: ``probe(student_preact, teacher_preact) -> (student NetworkOutputs, teacher NetworkOutputs)``
Probe = Callable[[bool, bool], Tuple[NetworkOutputs, NetworkOutputs]]


def call_with_batch_fields(fn, args: tuple, batch_fields: dict):
    """Call ``fn(*args, **fields)`` passing only the batch fields ``fn`` names in its signature."""
    target = fn.forward if isinstance(fn, nn.Module) else fn
    params = inspect.signature(target).parameters
    kwargs = {k: v for k, v in batch_fields.items() if k in params}
    return fn(*args, **kwargs)


def feature_shapes(value):
    if isinstance(value, (list, tuple)):
        return [v.shape[1:] for v in value]
    return value.shape[1:]


def detach(value):
    if isinstance(value, (list, tuple)):
        return [v.detach() for v in value]
    return value.detach()


@dataclass
class LossEntry:
    """How one ``distill_losses`` entry is wired."""

    name: str
    student_source: object
    teacher_source: object
    student_preact: bool
    teacher_preact: bool
    stage: str
    schedule: Optional[WeightSchedule] = None
    factor: float = 1.0

    @property
    def log_name(self) -> str:
        return f'loss_{self.name}'

    def sources(self, side: str):
        return self.student_source if side == 'student' else self.teacher_source


class LossWiring:
    """Build the entries of ``distill_losses`` and compute them from two networks' outputs.

    Args:
        loss_cfgs: ``{name: loss_cfg}`` with the wiring keys above.
        probe: runs both networks once on a dummy batch (see :data:`Probe`), to check every
            source and measure connector input shapes.
        init_epochs: length of the initialisation stage (0: none; then only ``'main'`` entries
            are allowed).
    """

    def __init__(self, loss_cfgs: Optional[dict], probe: Probe, init_epochs: int = 0):
        self.losses = nn.ModuleDict()
        self.connectors = nn.ModuleDict()
        self.entries: 'OrderedDict[str, LossEntry]' = OrderedDict()
        self.init_epochs = int(init_epochs)
        probes = {}
        for name, cfg in (loss_cfgs or {}).items():
            self._add(name, cfg, probes, probe)
        self.set_epoch(0)

    # ------------------------------------------------------------------ building
    def _add(self, name: str, cfg: dict, probes: dict, probe: Probe) -> None:
        who = f'distill_losses.{name}'
        cfg = copy.deepcopy(dict(cfg))
        wiring = {k: cfg.pop(k) for k in WIRING_KEYS if k in cfg}
        loss = MODELS.build(cfg)
        source = wiring.get('source', getattr(loss, 'source', 'logits'))
        preact = bool(wiring.get('preact', getattr(loss, 'preact', False)))
        stage = wiring.get('stage', 'init' if getattr(loss, 'init_stage_only', False) else 'main')
        if stage not in STAGES:
            raise ConfigError(f'{who}.stage must be one of {STAGES}, got {stage!r}')
        if stage != 'main' and self.init_epochs <= 0:
            raise ConfigError(f'{who} runs in the initialisation stage; set model.init_epochs '
                              '(30 in the reference) for it to run.')
        schedule = wiring.get('weight_schedule')
        entry = LossEntry(
            name=name,
            student_source=wiring.get('student_source', source),
            teacher_source=wiring.get('teacher_source', source),
            student_preact=bool(wiring.get('student_preact', preact)),
            teacher_preact=bool(wiring.get('teacher_preact', preact)),
            stage=stage,
            schedule=None if schedule is None else build_weight_schedule(schedule, who))
        key = (entry.student_preact, entry.teacher_preact)
        if key not in probes:
            probes[key] = probe(*key)
        s_probe, t_probe = probes[key]
        s_probe.check_source(entry.student_source, f'{who} (student)')
        t_probe.check_source(entry.teacher_source, f'{who} (teacher)')
        self.losses[name] = loss
        if 'connector' in wiring:
            conn_cfg = dict(wiring['connector'])
            conn_cfg.setdefault(
                's_shape',
                feature_shapes(s_probe.select(entry.student_source, entry.student_preact)))
            conn_cfg.setdefault(
                't_shape',
                feature_shapes(t_probe.select(entry.teacher_source, entry.teacher_preact)))
            self.connectors[name] = MODELS.build(conn_cfg)
            # e.g. CRD: the loss needs the memory size the connector was built with
            if getattr(loss, 'n_data', 0) is None and hasattr(self.connectors[name], 'n_data'):
                loss.n_data = self.connectors[name].n_data
        self.entries[name] = entry

    # ------------------------------------------------------------------ queries
    @staticmethod
    def module_paths(loss_cfgs: Optional[dict], side: str) -> Tuple[str, ...]:
        """The ``'module:<path>'`` sources ``loss_cfgs`` name on ``side`` (before building, so
        the recorders exist when the probe runs)."""
        paths = []
        for cfg in (loss_cfgs or {}).values():
            src = cfg.get(f'{side}_source', cfg.get('source'))
            if is_module_source(src):
                paths.append(src.split(':', 1)[1])
        return tuple(dict.fromkeys(paths))

    def stage_of(self, epoch: int) -> str:
        return 'init' if epoch < self.init_epochs else 'main'

    def active(self, stage: str) -> Tuple[str, ...]:
        return tuple(n for n, e in self.entries.items() if e.stage in (stage, 'both'))

    def needs(self, names: Iterable[str], side: str) -> Dict[str, bool]:
        """What one forward of ``side`` must provide for the entries ``names``."""
        entries = [self.entries[n] for n in names]
        return dict(
            preact=any(getattr(e, f'{side}_preact') for e in entries),
            aux=any(uses_aux(e.sources(side)) for e in entries))

    def set_epoch(self, epoch: int) -> None:
        """``epoch`` is the 0-based training epoch; schedules get the 1-based one."""
        for entry in self.entries.values():
            if entry.schedule is not None:
                entry.factor = float(entry.schedule.factor(epoch + 1))
        stage = self.stage_of(epoch)
        for module in list(self.connectors.values()) + list(self.losses.values()):
            if hasattr(module, 'set_stage'):
                module.set_stage(stage)

    # ------------------------------------------------------------------ computing
    def __call__(self, names: Iterable[str], student: NetworkOutputs, teacher: NetworkOutputs,
                 fields: dict) -> 'OrderedDict[str, torch.Tensor]':
        """``loss_<name>`` of every entry in ``names`` (teacher inputs detached)."""
        losses = OrderedDict()
        for name in names:
            entry = self.entries[name]
            s_in = student.select(entry.student_source, entry.student_preact)
            t_in = detach(teacher.select(entry.teacher_source, entry.teacher_preact))
            args = (s_in, t_in)
            if name in self.connectors:
                args = call_with_batch_fields(self.connectors[name], args, fields)
                if not isinstance(args, tuple):
                    args = (args, )
            value = call_with_batch_fields(self.losses[name].forward, args, fields)
            if entry.schedule is not None:
                value = entry.factor * value
            losses[entry.log_name] = value
        return losses
