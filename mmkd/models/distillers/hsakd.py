"""HSAKD: hierarchical self-supervised augmented knowledge distillation (offline), HSAKD
train_student_*.py.

Student and teacher are :class:`~mmkd.models.classifiers.AuxBranchClassifier` s with the same
number of branches L (paired by index). Per batch of N images (HSAKD train_*.py rotation):

* the batch becomes the 4N-row rotation batch (``rotate_batch``: sample-major, rows ``0::4`` are
  the originals);
* the teacher runs on it in eval mode under ``no_grad`` (detached features): final logits
  ``[4N, C]`` and branch logits ``[4N, 4C]``;
* the student runs on it in train mode with gradients flowing from its branches into its backbone
  (the reference's ``grad=True``);
* loss = ``CE(s_final[0::4], y)``                         (``loss_cls``)
  ``+ Σ_l T²·KL_batchmean(s_aux_l ‖ t_aux_l)`` over 4N rows, softmax over 4C  (``loss_kd_aux<l>``)
  ``+ T²·KL_batchmean(s_final ‖ t_final)`` over 4N rows, softmax over C       (``loss_kd``)
  with T = 3 and every weight 1. No joint-label CE and no feature loss for the student (the final
  KL includes the teacher's predictions on rotated images, even for a frozen-backbone teacher whose
  head never saw rotations: reference behaviour).

Validation, ``tools/test.py`` and the student-only checkpoints (``student_last.pth`` /
``student_best.pth``) see the **plain** student classifier: ``predict``/``tensor`` run it on the
unrotated image, and :meth:`student_state_dict` drops the student's branches, so the export loads
with ``strict=True`` into the plain student config.
"""
import os.path as osp
import warnings
from collections import OrderedDict
from typing import Dict, Optional

import torch
import torch.nn.functional as F

from mmkd.models.utils.rotation import rotate_batch, unrotated_rows
from mmkd.registry import MODELS
from mmkd.utils.checkpoint import is_remote
from mmkd.utils.errors import CheckpointError, ConfigError
from .base import BaseDistiller
from .builder_utils import build_classifier, load_weights_strict, num_classes_of


def kl_t(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
         temperature: float) -> torch.Tensor:
    """``T² · KL(softmax(t/T) ‖ softmax(s/T))`` summed over classes, averaged over rows
    (``F.kl_div(..., reduction='batchmean')``, the reference's ``DistillKL``)."""
    log_p_s = F.log_softmax(student_logits / temperature, dim=1)
    p_t = F.softmax(teacher_logits / temperature, dim=1)
    return F.kl_div(log_p_s, p_t, reduction='batchmean') * temperature**2


@MODELS.register_module()
class HSAKDDistiller(BaseDistiller):
    """Offline HSAKD (student and frozen teacher with auxiliary branches).

    Args:
        student: config path / dict of the student ``AuxBranchClassifier``
            (``configs/_base_/models/hsakd/<arch>_aux.py``).
        teacher: the same for the teacher.
        teacher_ckpt: the trained HSAKD teacher (frozen-backbone or joint mode, a checkpoint of
            ``configs/hsakd/teachers/*.py`` or a reference checkpoint converted with
            ``--layout hsakd``), loaded strictly at build time.
        teacher_ckpt_required: with ``teacher_ckpt=None``, ``True`` warns loudly (tests, dry
            runs); ``tools/test.py`` sets ``False`` because the full checkpoint holds the teacher.
        temperature: T of every KL term (reference ``--kd_T`` = 3).
        cls_weight, kd_weight, aux_kd_weight: weights of ``loss_cls``, ``loss_kd`` and each
            ``loss_kd_aux<l>`` (all 1 in the reference, which has no option for them).
    """

    def __init__(self,
                 student,
                 teacher,
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_required: bool = True,
                 temperature: float = 3.0,
                 cls_weight: float = 1.0,
                 kd_weight: float = 1.0,
                 aux_kd_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(student, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = build_classifier(teacher)
        self._check_networks()
        if teacher_ckpt is not None:
            if not is_remote(teacher_ckpt) and not osp.isfile(teacher_ckpt):
                raise CheckpointError(
                    f'Teacher checkpoint {teacher_ckpt} does not exist. Train the HSAKD teacher '
                    'first (python tools/train.py configs/hsakd/teachers/<arch>_frozen.py writes '
                    'work_dirs/hsakd/teachers/<arch>_frozen/epoch_100.pth; <arch>_joint.py '
                    'writes .../<arch>_joint/epoch_240.pth), convert a reference HSAKD checkpoint '
                    '(tools/model_converters/convert_reference.py SRC DST --layout hsakd --config '
                    'configs/_base_/models/hsakd/<arch>_aux.py), or point model.teacher_ckpt at '
                    'one with --cfg-options model.teacher_ckpt=PATH.')
            try:
                load_weights_strict(self.teacher, teacher_ckpt, role='teacher')
            except CheckpointError as e:
                raise CheckpointError(
                    f'{e} An HSAKD teacher checkpoint holds the backbone, its head and the '
                    'auxiliary branches (aux_branches.*): a plain baseline checkpoint is not '
                    'enough, train the teacher with configs/hsakd/teachers/<arch>_frozen.py '
                    '(which starts from that baseline) first.') from None
        elif teacher_ckpt_required:
            warnings.warn(
                'HSAKDDistiller: teacher_ckpt is None, the TEACHER IS UNTRAINED. This is only '
                'meant for tests and dry runs; set model.teacher_ckpt to a trained HSAKD teacher.',
                stacklevel=2)
        self._freeze_teacher()
        self.temperature = float(temperature)
        self.cls_weight = float(cls_weight)
        self.kd_weight = float(kd_weight)
        self.aux_kd_weight = float(aux_kd_weight)

    # ------------------------------------------------------------ building
    def _check_networks(self) -> None:
        for role, net in (('student', self.student), ('teacher', self.teacher)):
            if not hasattr(net, 'forward_aux') or not hasattr(net, 'aux_branches'):
                raise ConfigError(
                    f'HSAKDDistiller: the {role} must be a classifier with auxiliary branches '
                    f"(type='AuxBranchClassifier', e.g. configs/_base_/models/hsakd/<arch>_aux.py)"
                    f', got {type(net).__name__}.')
        s, t = num_classes_of(self.student), num_classes_of(self.teacher)
        if s != t:
            raise ConfigError(f'The teacher predicts {t} classes but the student {s}; '
                              'distillation needs the same classes (set head.num_classes).')
        ls, lt = len(self.student.aux_branches), len(self.teacher.aux_branches)
        if ls != lt:
            raise ConfigError(
                f'HSAKDDistiller pairs the auxiliary branches by index, so teacher and student '
                f'need the same number of branches; the teacher has {lt}, the student {ls} '
                '(shipped pairs: WRN/ResNet/ShuffleNet 3 branches, VGG/ResNet-50/MobileNetV2/'
                'ImageNet ResNet 4).')

    def _freeze_teacher(self) -> None:
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        # the Runner's init_weights() must not re-initialise a loaded teacher
        self.teacher.is_init = True

    def train(self, mode: bool = True):
        super().train(mode)
        self.teacher.eval()  # BatchNorm statistics of the teacher never change
        return self

    # ------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        x4, _ = rotate_batch(inputs, labels, self.student.num_classes)
        with torch.no_grad():
            t_out = self.teacher.forward_aux(x4, detach_features=True)
        t_logits = t_out.logits.detach()
        t_ss = [t.detach() for t in t_out.ss_logits]
        s_out = self.student.forward_aux(x4, detach_features=False)

        losses = OrderedDict()
        losses['loss_cls'] = self.cls_weight * self.student_loss(
            unrotated_rows(s_out.logits), data_samples)
        for i, (s_ss, t_ss_i) in enumerate(zip(s_out.ss_logits, t_ss)):
            losses[f'loss_kd_aux{i + 1}'] = self.aux_kd_weight * kl_t(
                s_ss, t_ss_i, self.temperature)
        losses['loss_kd'] = self.kd_weight * kl_t(s_out.logits, t_logits, self.temperature)
        return losses

    # ---------------------------------------------------------- evaluation, export
    @torch.no_grad()
    def predict_teacher(self, inputs: torch.Tensor, data_samples=None):
        return self.teacher(inputs, data_samples, mode='predict')

    def student_state_dict(self) -> dict:
        """The plain student classifier (branches dropped): loads into the plain config."""
        return self.student.plain_state_dict()
