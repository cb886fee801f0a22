"""Offline distillation from one frozen teacher (KD, FitNet, AT, ..., CRD, SemCKD, Tf-KD self,
HSAKD, UNIXKD): the frozen-network service, the loss wiring and an optional batch transform."""
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch

from mmkd.models.utils.frozen import FrozenNetworkOwner, build_frozen_network
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from .base import BaseDistiller
from .feature_access import ModuleRecorder, NetworkOutputs, network_outputs
from .loss_wiring import STAGES, WIRING_KEYS, LossWiring  # noqa: F401  (re-exported)


@MODELS.register_module()
class SingleTeacherDistiller(FrozenNetworkOwner, BaseDistiller):
    """Student + frozen teacher + per-method losses and connectors.

    Total loss (RepDistiller/SemCKD helper/loops.py): ``γ·CE + Σ_m loss_m`` where each registered
    loss already carries its weight (``α`` for ``KDLoss``, ``β`` for the method's own term).

    Per training step: the batch transform (if any) rewrites the batch; the teacher (eval, no
    grad) and the student then run **once** each, keeping every feature the active losses read
    (post- and pre-activation stages from the same forward, auxiliary-branch logits, recorded
    submodule outputs); the loss wiring computes the terms.

    Args:
        student: config path (``mmkd::``/``mmpretrain::`` too) / inline dict of the student
            classifier (see :func:`~mmkd.models.utils.model_config.model_cfg_from`).
        teacher: same, for the teacher; any classifier works for logit losses (e.g. an mmpretrain
            model), feature losses read mmkd backbones by name or any network by module path.
        teacher_ckpt: mmkd checkpoint of the teacher, loaded at build time (strict).
        teacher_ckpt_required: with ``teacher_ckpt=None``, ``True`` warns loudly that the teacher
            is untrained (tests, dry runs); ``tools/test.py`` sets ``False`` because the full
            checkpoint carries the teacher.
        student_loss_weight: ``γ`` (RepDistiller's ``-r``), weight of the student's own head loss.
        distill_losses: ``{name: loss_cfg}`` with the wiring keys of
            :mod:`~mmkd.models.distillers.loss_wiring` (sources, preact, connector, stage,
            weight_schedule); losses log as ``loss_<name>``. A subclass may pass a callable
            ``(student, teacher) -> dict`` to derive the entries from the built networks.
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
            which must not contain ``loss`` (mmengine logs them but does not add them up). A
            transform that adds rows (e.g. rotated copies) sets ``fields['sample_rows']``: the
            row of the new batch each data sample describes; the student's head loss then reads
            those rows only.
    """

    #: how to get a teacher checkpoint, when ``teacher_ckpt`` does not exist
    teacher_missing_hint = (
        'Train the teacher first (python tools/train.py configs/baselines/<teacher>_cifar100.py '
        'writes work_dirs/baselines/<teacher>_cifar100/epoch_240.pth), or point '
        'model.teacher_ckpt at a checkpoint with --cfg-options model.teacher_ckpt=PATH (public '
        'reference teachers: convert them with tools/model_converters/convert_reference.py).')
    #: advice when the teacher checkpoint does not fit (``None``: the service's default)
    teacher_fit_hint: Optional[str] = None

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
        self.check_student(self.student)
        self.teacher = build_frozen_network(
            teacher,
            teacher_ckpt,
            role='teacher',
            owner=type(self).__name__,
            required=teacher_ckpt_required,
            same_classes_as=self.student,
            validate=self.check_teacher,
            missing_hint=self.teacher_missing_hint,
            fit_hint=self.teacher_fit_hint)
        self.student_loss_weight = student_loss_weight
        self.init_epochs = init_epochs
        self.input_size = tuple(input_size)
        if callable(distill_losses):  # entries derived from the networks (e.g. per branch)
            distill_losses = distill_losses(self.student, self.teacher)
        self._recorders = {
            side: ModuleRecorder(net, LossWiring.module_paths(distill_losses, side), side)
            for side, net in (('student', self.student), ('teacher', self.teacher))
        }
        self.wiring = LossWiring(distill_losses, self._probe_outputs, init_epochs)
        self.distill_losses = self.wiring.losses
        self.connectors = self.wiring.connectors
        self.batch_transform = MODELS.build(batch_transform) if batch_transform else None

    # ------------------------------------------------------------ building
    def check_student(self, student) -> None:
        """Raise for a student this distiller cannot use (subclasses)."""

    def check_teacher(self, teacher) -> None:
        """Raise for a teacher this distiller cannot use (subclasses)."""

    @torch.no_grad()
    def _probe_outputs(self, student_preact: bool, teacher_preact: bool):
        was_training = self.student.training
        self.student.eval()
        x = torch.zeros(2, 3, *self.input_size)
        s_out = self._run('student', x, dict(preact=student_preact, aux=True))
        t_out = self._run('teacher', x, dict(preact=teacher_preact, aux=True))
        self.student.train(was_training)
        return s_out, t_out

    def _run(self, side: str, inputs: torch.Tensor, needs: dict) -> NetworkOutputs:
        recorder = self._recorders[side]
        net = self.student if side == 'student' else self.teacher
        return network_outputs(
            net,
            inputs,
            preact=needs['preact'],
            aux=needs['aux'],
            recorder=recorder if recorder.paths else None,
            detach_aux_features=side == 'teacher')

    # ------------------------------------------------------------ training
    @property
    def loss_wiring(self) -> Dict[str, object]:
        """The wiring of every entry (name -> :class:`~.loss_wiring.LossEntry`)."""
        return self.wiring.entries

    @property
    def stage(self) -> str:
        return self.wiring.stage_of(self.epoch)

    def active_losses(self) -> Tuple[str, ...]:
        return self.wiring.active(self.stage)

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self.wiring.set_epoch(epoch)

    def teacher_outputs(self, inputs: torch.Tensor, **needs) -> NetworkOutputs:
        """One teacher forward (no grad, everything detached)."""
        needs = dict(dict(preact=False, aux=False), **needs)
        with torch.no_grad():
            return self._run('teacher', inputs, needs).detached()

    def student_outputs(self, inputs: torch.Tensor, **needs) -> NetworkOutputs:
        """One student forward (with gradients)."""
        return self._run('student', inputs, dict(dict(preact=False, aux=False), **needs))

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
        teacher_out = self.teacher_outputs(inputs, **self.wiring.needs(active, 'teacher'))
        student_out = self.student_outputs(inputs, **self.wiring.needs(active, 'student'))

        losses = OrderedDict()
        if self.stage == 'main' and self.student_loss_weight:
            losses['loss_cls'] = self.student_loss_weight * self.student_loss(
                self.sample_logits(student_out.logits, fields), data_samples)
        losses.update(self.wiring(active, student_out, teacher_out, fields))
        for name, value in log_vars.items():
            if name in losses:
                raise ConfigError(f'{type(self.batch_transform).__name__} logs {name!r}, the '
                                  'name of a loss term; rename it.')
            losses[name] = value
        return losses

    @staticmethod
    def sample_logits(logits: torch.Tensor, fields: dict) -> torch.Tensor:
        """The rows of ``logits`` the data samples describe (``fields['sample_rows']``, set by a
        transform that adds rows), all of them otherwise."""
        rows = fields.get('sample_rows')
        return logits if rows is None else logits.index_select(0, rows)

    # ---------------------------------------------------------- evaluation
    @torch.no_grad()
    def predict_teacher(self, inputs: torch.Tensor, data_samples=None):
        return self.teacher(inputs, data_samples, mode='predict')
