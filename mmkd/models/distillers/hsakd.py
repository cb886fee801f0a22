"""HSAKD: hierarchical self-supervised augmented knowledge distillation (offline); Yang et al.,
NeurIPS 2021, §3 (reference: winycg/HSAKD ``train_student_cifar.py``,
``train_student_imagenet.py``).

Student and teacher are :class:`~mmkd.models.classifiers.AuxBranchClassifier` s with the same
number of branches L (paired by index). HSAKD is a :class:`SingleTeacherDistiller` configured as
follows (everything below is the ordinary wiring; this class only fills it in from the branch
count and checks the networks):

* batch transform ``RotationBatch``: the batch becomes the 4N-row rotation batch (sample-major,
  rows ``0::4`` are the originals);
* the teacher runs on it in eval mode under ``no_grad``: final logits ``[4N, C]`` and branch
  logits ``[4N, 4C]``; the student in train mode with gradients flowing from its branches into its
  backbone (the reference's ``grad=True``);
* loss = ``cls_weight · CE(s_final[0::4], y)``                        (``loss_cls``)
  ``+ Σ_l aux_kd_weight · T²·KL_batchmean(s_aux_l ‖ t_aux_l)`` over 4N rows, softmax over 4C
  (entries ``kd_aux<l>``: ``KDLoss`` on source ``'aux_logits:<l-1>'``, ``loss_kd_aux<l>``)
  ``+ kd_weight · T²·KL_batchmean(s_final ‖ t_final)`` over 4N rows, softmax over C
  (entry ``kd``: ``KDLoss`` on ``'logits'``, ``loss_kd``),
  with T = 3 and every weight 1. No joint-label CE and no feature loss for the student (the final
  KL includes the teacher's predictions on rotated images, even for a frozen-backbone teacher whose
  head never saw rotations: reference behaviour).

Validation, ``tools/test.py`` and the student-only checkpoints (``student_last.pth`` /
``student_best.pth``) see the **plain** student classifier: ``predict``/``tensor`` run it on the
unrotated image, and :meth:`student_state_dict` drops the student's branches, so the export loads
with ``strict=True`` into the plain student config.
"""
from collections import OrderedDict
from functools import partial
from typing import Optional

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from .single_teacher import SingleTeacherDistiller

TEACHER_MISSING_HINT = (
    'Train the HSAKD teacher first (python tools/train.py configs/hsakd/teachers/<arch>_frozen.py '
    'writes work_dirs/hsakd/teachers/<arch>_frozen/epoch_100.pth; <arch>_joint.py writes '
    '.../<arch>_joint/epoch_240.pth), convert a reference HSAKD checkpoint '
    '(tools/model_converters/convert_reference.py SRC DST --layout hsakd --config '
    'configs/_base_/models/hsakd/<arch>_aux.py), or point model.teacher_ckpt at one with '
    '--cfg-options model.teacher_ckpt=PATH.')
TEACHER_FIT_HINT = (
    'An HSAKD teacher checkpoint holds the backbone, its head and the auxiliary branches '
    '(aux_branches.*): a plain baseline checkpoint is not enough, train the teacher with '
    'configs/hsakd/teachers/<arch>_frozen.py (which starts from that baseline) first.')


def hsakd_losses(student, teacher, temperature: float, kd_weight: float,
                 aux_kd_weight: float) -> 'OrderedDict[str, dict]':
    """HSAKD's KD entries: ``kd_aux1..kd_auxL`` (branch logits) then ``kd`` (final logits)."""
    losses = OrderedDict()
    for i in range(len(student.aux_branches)):
        losses[f'kd_aux{i + 1}'] = dict(
            type='KDLoss', tau=temperature, loss_weight=aux_kd_weight, source=f'aux_logits:{i}')
    losses['kd'] = dict(type='KDLoss', tau=temperature, loss_weight=kd_weight, source='logits')
    return losses


@MODELS.register_module()
class HSAKDDistiller(SingleTeacherDistiller):
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
        input_size: image size of the build-time probe forward.
    """

    teacher_missing_hint = TEACHER_MISSING_HINT
    teacher_fit_hint = TEACHER_FIT_HINT

    def __init__(self,
                 student,
                 teacher,
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_required: bool = True,
                 temperature: float = 3.0,
                 cls_weight: float = 1.0,
                 kd_weight: float = 1.0,
                 aux_kd_weight: float = 1.0,
                 input_size=(32, 32),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        losses = partial(
            hsakd_losses,
            temperature=float(temperature),
            kd_weight=float(kd_weight),
            aux_kd_weight=float(aux_kd_weight))
        super().__init__(
            student,
            teacher,
            teacher_ckpt=teacher_ckpt,
            teacher_ckpt_required=teacher_ckpt_required,
            student_loss_weight=float(cls_weight),
            distill_losses=losses,
            input_size=input_size,
            batch_transform=dict(type='RotationBatch'),
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.temperature = float(temperature)

    # ------------------------------------------------------------ building
    def check_student(self, student) -> None:
        self._check_aux('student', student)

    def check_teacher(self, teacher) -> None:
        self._check_aux('teacher', teacher)
        ls, lt = len(self.student.aux_branches), len(teacher.aux_branches)
        if ls != lt:
            raise ConfigError(
                f'HSAKDDistiller pairs the auxiliary branches by index, so teacher and student '
                f'need the same number of branches; the teacher has {lt}, the student {ls} '
                '(shipped pairs: WRN/ResNet/ShuffleNet 3 branches, VGG/ResNet-50/MobileNetV2/'
                'ImageNet ResNet 4).')

    @staticmethod
    def _check_aux(role: str, net) -> None:
        if not hasattr(net, 'forward_aux') or not hasattr(net, 'aux_branches'):
            raise ConfigError(
                f'HSAKDDistiller: the {role} must be a classifier with auxiliary branches '
                f"(type='AuxBranchClassifier', e.g. configs/_base_/models/hsakd/<arch>_aux.py)"
                f', got {type(net).__name__}.')

    # ---------------------------------------------------------- export
    def student_state_dict(self) -> dict:
        """The plain student classifier (branches dropped): loads into the plain config."""
        return self.student.plain_state_dict()
