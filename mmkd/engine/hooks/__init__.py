from .distillation_epoch_hook import DistillationEpochHook
from .student_checkpoint_hook import StudentCheckpointHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = ['DistillationEpochHook', 'StudentCheckpointHook', 'TeacherEvalHook']
