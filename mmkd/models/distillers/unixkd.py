"""UNIXKD: a single-teacher distiller whose batch goes through :class:`UNIXKDBatchTransform`.

Everything about the step is the single-teacher flow (the transform rewrites the batch, then
teacher and student run on the k kept samples and the registered losses are summed). What this
class adds is the build-time part that needs both networks and the loss list:

* the transform's per-sample FLOPs ``F_s``, ``F_t`` (for the logged computation fraction);
* refusing combinations that cannot work on a rewritten batch of k mixed samples (one message).

Reference: xuguodong03/UNIXKD ``student_v0.py`` (KD only: ``--ce-weight 0 --kd-weight 1``;
``--other-distill AT|SP``).
"""
from typing import Optional, Sequence

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from .single_teacher import SingleTeacherDistiller
from .unixkd_transform import UNIXKDBatchTransform

#: loss types that work on the k mixed samples (the reference's KD, AT and SP terms, the mixup
#: CE, and the batch-similarity SP as the corrected SP)
SUPPORTED_LOSSES = ('KDLoss', 'ATLoss', 'SPLoss', 'UNIXSampleWiseSPLoss', 'UNIXMixupCELoss')

#: why some methods cannot be combined with UNIXKD
UNSUPPORTED_REASONS = {
    'SemCKDLoss': "SemCKD's attention MLPs are sized for the full batch, UNIXKD keeps k samples",
    'CRDLoss': "CRD's memory bank is indexed by sample, and a mixed image is no dataset sample",
    'CRDKDLoss': "CRD's memory bank is indexed by sample, and a mixed image is no dataset sample",
}


@MODELS.register_module()
class UNIXKDDistiller(SingleTeacherDistiller):
    """:class:`SingleTeacherDistiller` + UNIXKD's batch transform.

    Args:
        batch_transform: config of a :class:`UNIXKDBatchTransform` (``k``, ``b``, ``w``,
            ``strategy``, ``batch_size``, ...).
        student_loss_weight: must be 0: a label term with UNIXKD is the mixup CE
            (``distill_losses.ce=dict(type='UNIXMixupCELoss', loss_weight=...)``).
        extra_supported_losses: loss types to accept beyond :data:`SUPPORTED_LOSSES`, for
            experiments with methods that work on any batch of samples (on your own risk).
        Other arguments: as :class:`SingleTeacherDistiller`.
    """

    #: the single-teacher hooks plus the per-epoch computation summary (the tools merge these
    #: into any ``custom_hooks`` a config sets)
    required_hooks = tuple(getattr(SingleTeacherDistiller, 'required_hooks',
                                   ())) + (dict(type='UNIXKDComputationHook'), )

    def __init__(self,
                 *args,
                 batch_transform: Optional[dict] = None,
                 student_loss_weight: float = 0.0,
                 extra_supported_losses: Sequence[str] = (),
                 **kwargs):
        if batch_transform is None:
            batch_transform = dict(type='UNIXKDBatchTransform')
        super().__init__(
            *args,
            batch_transform=batch_transform,
            student_loss_weight=student_loss_weight,
            **kwargs)
        if not isinstance(self.batch_transform, UNIXKDBatchTransform):
            raise ConfigError(f'UNIXKDDistiller needs batch_transform of type '
                              f'UNIXKDBatchTransform, got {type(self.batch_transform).__name__}.')
        if student_loss_weight:
            raise ConfigError(
                f'UNIXKDDistiller: student_loss_weight={student_loss_weight} would apply plain CE '
                'to mixed images; set it to 0 and add the mixup CE as a loss: '
                "distill_losses.ce=dict(type='UNIXMixupCELoss', loss_weight=...).")
        supported = tuple(SUPPORTED_LOSSES) + tuple(extra_supported_losses)
        for name, loss in self.distill_losses.items():
            kind = type(loss).__name__
            if kind not in supported:
                reason = UNSUPPORTED_REASONS.get(
                    kind, 'it has not been validated on a rewritten batch of k mixed samples')
                raise ConfigError(
                    f'UNIXKD cannot be combined with distill_losses.{name} ({kind}): {reason}. '
                    f'Supported with UNIXKD: {", ".join(SUPPORTED_LOSSES)} (add a type to '
                    'model.extra_supported_losses to try another).')
        self.batch_transform.bind(self.student, self.teacher, self.input_size)
