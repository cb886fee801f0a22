"""Offline distillation from one frozen teacher (KD, FitNet, AT, ..., CRD, SemCKD, Tf-KD self)."""
import copy
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from mmkd.utils.checkpoint import is_remote
from mmkd.utils.errors import CheckpointError, ConfigError
from .base import BaseDistiller, call_with_batch_fields, network_outputs
from .builder_utils import build_classifier, load_weights_strict, num_classes_of

#: keys of a ``distill_losses`` entry that configure wiring, not the loss itself
WIRING_KEYS = ('source', 'student_source', 'teacher_source', 'connector', 'stage')
STAGES = ('main', 'init', 'both')


def _feature_shapes(value):
    if isinstance(value, (list, tuple)):
        return [v.shape[1:] for v in value]
    return value.shape[1:]


def _detach(value):
    if isinstance(value, (list, tuple)):
        return [v.detach() for v in value]
    return value.detach()


@MODELS.register_module()
class SingleTeacherDistiller(BaseDistiller):
    """Student + frozen teacher + per-method losses and connectors.

    Total loss (RepDistiller/SemCKD helper/loops.py): ``γ·CE + Σ_m loss_m`` where each registered
    loss already carries its weight (``α`` for ``KDLoss``, ``β`` for the method's own term).

    Args:
        student: config path / inline dict of the student classifier (see ``model_cfg_from``).
        teacher: same, for the teacher.
        teacher_ckpt: mmkd checkpoint of the teacher, loaded at build time (strict).
        teacher_ckpt_required: with ``teacher_ckpt=None``, ``True`` warns loudly that the teacher
            is untrained (tests, dry runs); ``tools/test.py`` sets ``False`` because the full
            checkpoint carries the teacher.
        student_loss_weight: ``γ`` (RepDistiller's ``-r``), weight of the student's own head loss.
        distill_losses: ``{name: loss_cfg}``; a loss cfg may add the wiring keys ``source`` (or
            ``student_source``/``teacher_source``), ``connector`` and ``stage`` (``'main'``,
            ``'init'`` or ``'both'``); losses log as ``loss_<name>``.
        init_epochs: length of the initialisation stage (AB, FT, FSP: 30). During it only
            ``stage='init'``/``'both'`` losses are used and the CE term is off.
        input_size: image size of the dummy forward that measures feature shapes for connectors.
        batch_transform: optional config of a batch transform (a module registered in
            ``mmkd.registry.MODELS``). In train mode, at the start of :meth:`loss` and before any
            teacher or student forward, it is called as
            ``transform(inputs, data_samples, fields, student)`` and returns
            ``(inputs, data_samples, fields, log_vars)``: the rewritten batch that teacher and
            student then see, the rewritten batch fields (:meth:`batch_fields`: per-sample
            tensors by parameter name, ``labels``, ``sample_idx``, ``contrast_idx``) and a dict of
            scalars to log. ``log_vars`` are returned next to the losses under their own names,
            which must not contain ``loss`` (mmengine logs them but does not add them up).
    """

    def __init__(self,
                 student,
                 teacher,
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_required: bool = True,
                 student_loss_weight: float = 1.0,
                 distill_losses: Optional[dict] = None,
                 init_epochs: int = 0,
                 input_size: Sequence[int] = (32, 32),
                 batch_transform: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(student, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = build_classifier(teacher)
        self._check_class_counts()
        if teacher_ckpt is not None:
            if not is_remote(teacher_ckpt) and not osp.isfile(teacher_ckpt):
                raise CheckpointError(
                    f'Teacher checkpoint {teacher_ckpt} does not exist. Train the teacher first '
                    '(python tools/train.py configs/baselines/<teacher>_cifar100.py writes '
                    'work_dirs/baselines/<teacher>_cifar100/epoch_240.pth), or point '
                    'model.teacher_ckpt at a checkpoint with --cfg-options model.teacher_ckpt=PATH '
                    '(public reference teachers: convert them with '
                    'tools/model_converters/convert_reference.py).')
            load_weights_strict(self.teacher, teacher_ckpt, role='teacher')
        elif teacher_ckpt_required:
            warnings.warn(
                'SingleTeacherDistiller: teacher_ckpt is None, the TEACHER IS UNTRAINED. This is '
                'only meant for tests and dry runs; set model.teacher_ckpt to a trained teacher.',
                stacklevel=2)
        self._freeze_teacher()
        self.student_loss_weight = student_loss_weight
        self.init_epochs = init_epochs
        self.input_size = tuple(input_size)
        self.distill_losses = nn.ModuleDict()
        self.connectors = nn.ModuleDict()
        self.loss_wiring: Dict[str, dict] = {}
        self._build_losses(distill_losses or {})
        self.batch_transform = MODELS.build(batch_transform) if batch_transform else None

    # ------------------------------------------------------------ building
    def _check_class_counts(self) -> None:
        s, t = num_classes_of(self.student), num_classes_of(self.teacher)
        if s is not None and t is not None and s != t:
            raise ConfigError(f'The teacher predicts {t} classes but the student {s}; '
                              'distillation needs the same classes (set head.num_classes).')

    def _freeze_teacher(self) -> None:
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        # the Runner's init_weights() must not re-initialise a loaded teacher
        self.teacher.is_init = True

    @torch.no_grad()
    def _probe_outputs(self, preact: bool):
        was_training = self.student.training
        self.student.eval()
        x = torch.zeros(2, 3, *self.input_size)
        s_out = network_outputs(self.student, x, preact)
        t_out = network_outputs(self.teacher, x, preact)
        self.student.train(was_training)
        return s_out, t_out

    def _build_losses(self, loss_cfgs: dict) -> None:
        probes = {}
        for name, cfg in loss_cfgs.items():
            cfg = copy.deepcopy(dict(cfg))
            wiring = {k: cfg.pop(k) for k in WIRING_KEYS if k in cfg}
            loss = MODELS.build(cfg)
            source = wiring.get('source', getattr(loss, 'source', 'logits'))
            s_src = wiring.get('student_source', source)
            t_src = wiring.get('teacher_source', source)
            stage = wiring.get('stage', 'init' if getattr(loss, 'init_stage_only', False)
                               else 'main')
            if stage not in STAGES:
                raise ConfigError(f'distill_losses.{name}.stage must be one of {STAGES}, got '
                                  f'{stage!r}')
            if stage != 'main' and self.init_epochs <= 0:
                raise ConfigError(f'distill_losses.{name} runs in the initialisation stage; set '
                                  'model.init_epochs (30 in the reference) for it to run.')
            preact = bool(getattr(loss, 'preact', False))
            if preact not in probes:
                probes[preact] = self._probe_outputs(preact)
            s_probe, t_probe = probes[preact]
            s_probe.check_source(s_src, f'distill_losses.{name} (student)')
            t_probe.check_source(t_src, f'distill_losses.{name} (teacher)')
            self.distill_losses[name] = loss
            if 'connector' in wiring:
                conn_cfg = dict(wiring['connector'])
                conn_cfg.setdefault('s_shape', _feature_shapes(s_probe.select(s_src)))
                conn_cfg.setdefault('t_shape', _feature_shapes(t_probe.select(t_src)))
                self.connectors[name] = MODELS.build(conn_cfg)
                # e.g. CRD: the loss needs the memory size the connector was built with
                if getattr(loss, 'n_data', 0) is None and hasattr(self.connectors[name], 'n_data'):
                    loss.n_data = self.connectors[name].n_data
            self.loss_wiring[name] = dict(
                student_source=s_src, teacher_source=t_src, stage=stage, preact=preact)

    # ------------------------------------------------------------ training
    def train(self, mode: bool = True):
        super().train(mode)
        self.teacher.eval()  # BatchNorm statistics and dropout of the teacher never change
        return self

    @property
    def stage(self) -> str:
        return 'init' if self.epoch < self.init_epochs else 'main'

    def active_losses(self) -> Tuple[str, ...]:
        stage = self.stage
        return tuple(n for n, w in self.loss_wiring.items() if w['stage'] in (stage, 'both'))

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        for module in list(self.connectors.values()) + list(self.distill_losses.values()):
            if hasattr(module, 'set_stage'):
                module.set_stage(self.stage)

    def teacher_outputs(self, inputs: torch.Tensor, preact: bool = False):
        with torch.no_grad():
            out = network_outputs(self.teacher, inputs, preact)
        out.feats = [f.detach() for f in out.feats]
        out.logits = out.logits.detach()
        return out

    def apply_batch_transform(self, inputs: torch.Tensor, data_samples, fields: dict):
        """Run the configured batch transform (train mode only); see the class docstring."""
        if self.batch_transform is None or not self.training:
            return inputs, data_samples, fields, {}
        out = self.batch_transform(inputs, data_samples, fields, self.student)
        if not isinstance(out, tuple) or len(out) != 4:
            raise ConfigError(
                f'{type(self.batch_transform).__name__}.forward must return the 4-tuple '
                '(inputs, data_samples, fields, log_vars).')
        inputs, data_samples, fields, log_vars = out
        checked = {}
        for name, value in (log_vars or {}).items():
            if 'loss' in name:
                raise ConfigError(
                    f'{type(self.batch_transform).__name__} logs {name!r}: batch-transform log '
                    "values must not contain 'loss' in their name (mmengine would add them to "
                    'the loss); rename it.')
            if not isinstance(value, torch.Tensor):
                value = torch.as_tensor(float(value), device=inputs.device)
            checked[name] = value.detach()
        return inputs, data_samples, fields, checked

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        fields = {k: v.to(inputs.device) for k, v in self.batch_fields(data_samples).items()}
        inputs, data_samples, fields, log_vars = self.apply_batch_transform(
            inputs, data_samples, fields)
        active = self.active_losses()
        preacts = {self.loss_wiring[n]['preact'] for n in active} or {False}
        student_out = {p: network_outputs(self.student, inputs, p) for p in preacts}
        teacher_out = {p: self.teacher_outputs(inputs, p) for p in preacts}

        losses = {}
        if self.stage == 'main' and self.student_loss_weight:
            logits = student_out[False if False in student_out else True].logits
            losses['loss_cls'] = self.student_loss_weight * self.student_loss(
                logits, data_samples)
        for name in active:
            wiring = self.loss_wiring[name]
            s_in = student_out[wiring['preact']].select(wiring['student_source'])
            t_in = _detach(teacher_out[wiring['preact']].select(wiring['teacher_source']))
            args = (s_in, t_in)
            if name in self.connectors:
                args = call_with_batch_fields(self.connectors[name], args, fields)
                if not isinstance(args, tuple):
                    args = (args, )
            losses[f'loss_{name}'] = call_with_batch_fields(
                self.distill_losses[name].forward, args, fields)
        for name, value in log_vars.items():
            if name in losses:
                raise ConfigError(f'{type(self.batch_transform).__name__} logs {name!r}, the '
                                  'name of a loss term; rename it.')
            losses[name] = value
        return losses

    # ---------------------------------------------------------- evaluation
    @torch.no_grad()
    def predict_teacher(self, inputs: torch.Tensor, data_samples=None):
        return self.teacher(inputs, data_samples, mode='predict')
