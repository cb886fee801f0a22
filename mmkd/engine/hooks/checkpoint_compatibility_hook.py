from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

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
        state = checkpoint.get('state_dict', checkpoint)
        state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
        own = model.state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        mismatched = [k for k in own if k in state and hasattr(state[k], 'shape')
                      and tuple(state[k].shape) != tuple(own[k].shape)]
        if not (missing or unexpected or mismatched):
            return

        def show(items):
            return ', '.join(items[:6]) + (f' (+{len(items) - 6} more)' if len(items) > 6 else '')

        parts = ['The checkpoint does not fit the model of this config.']
        if missing:
            parts.append(f'Missing keys ({len(missing)}): {show(missing)}.')
        if unexpected:
            parts.append(f'Unexpected keys ({len(unexpected)}): {show(unexpected)}.')
        if mismatched:
            parts.append(f'Shape mismatch ({len(mismatched)}): {show(mismatched)}.')
        if unexpected and all(k.startswith(('student.', 'teacher.', 'connectors.',
                                            'distill_losses.')) for k in unexpected):
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
