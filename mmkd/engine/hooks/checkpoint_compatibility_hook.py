from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.models.utils.state_dict import DISTILLER_PREFIXES, state_dict_diff, strip_data_parallel
from mmkd.registry import HOOKS
from mmkd.utils.errors import CheckpointError


@HOOKS.register_module()
class CheckpointCompatibilityHook(Hook):
    """Refuse ``--resume``/``load_from`` checkpoints that do not fit the model, before loading.

    mmengine loads them with ``strict=False`` and only logs the mismatch, so a checkpoint of a
    different model silently trains or evaluates a half-initialised network. This hook compares
    keys and shapes first and stops with one message naming them. ``allow_partial=True`` keeps
    mmengine's lenient behaviour for deliberate partial initialisation.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_partial: bool = False):
        self.allow_partial = allow_partial

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.allow_partial:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = strip_data_parallel(checkpoint.get('state_dict', checkpoint))
        diff = state_dict_diff(state, model.state_dict())
        if diff.ok:
            return
        missing, unexpected = diff.missing, diff.unexpected
        parts = ['The checkpoint does not fit the model of this config.', diff.describe()]
        if unexpected and all(k.startswith(DISTILLER_PREFIXES) for k in unexpected):
            parts.append('It is a full distillation checkpoint: evaluate it with the '
                         'distillation config, or use student_last.pth/student_best.pth with '
                         'the plain student config.')
        elif missing and all(k.startswith(('student.', 'teacher.')) for k in missing):
            parts.append('It is a plain classifier checkpoint; a distillation config needs '
                         'its own full checkpoint (or set it as model.teacher_ckpt).')
        else:
            parts.append('Was it trained with another config? (To initialise only part of '
                         'the model on purpose, set default_hooks.checkpoint_check.'
                         'allow_partial=True.)')
        raise CheckpointError(' '.join(parts))
