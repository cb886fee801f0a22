"""Hooks: checkpoints, teacher evaluation, reproducibility, divergence guard, HSSAKD peers."""
from .checkpoint_compatibility_hook import CheckpointCompatibilityHook
from .distillation_epoch_hook import DistillationEpochHook
from .keep_checkpoints_hook import KeepCheckpointsHook
from .nan_guard_hook import NaNGuardHook, NonFiniteLossError
from .peer_selection_hook import PeerSelectionHook
from .reproducible_epoch_hook import ReproducibleEpochHook
from .student_checkpoint_hook import StudentCheckpointHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = [
    'CheckpointCompatibilityHook', 'DistillationEpochHook', 'KeepCheckpointsHook', 'NaNGuardHook',
    'NonFiniteLossError', 'PeerSelectionHook', 'ReproducibleEpochHook', 'StudentCheckpointHook',
    'TeacherEvalHook'
]
