"""Hooks: checkpoints, teacher evaluation, reproducibility, divergence guard, HSSAKD peers, and
the opt-in fast path (channels_last, torch.compile)."""
from .channels_last_hook import ChannelsLastHook
from .checkpoint_compatibility_hook import CheckpointCompatibilityHook
from .checkpoint_safety_hook import BestCheckpointGuardHook, ResumeCheckHook
from .compile_hook import CompileNetworksHook
from .distillation_epoch_hook import DistillationEpochHook
from .keep_checkpoints_hook import KeepCheckpointsHook
from .nan_guard_hook import NaNGuardHook, NonFiniteLossError
from .peer_selection_hook import PeerSelectionHook
from .reproducible_epoch_hook import ReproducibleEpochHook
from .student_checkpoint_hook import StudentCheckpointHook
from .teacher_eval_hook import TeacherEvalHook
from .unixkd_computation_hook import UNIXKDComputationHook

__all__ = [
    'BestCheckpointGuardHook', 'ChannelsLastHook', 'CheckpointCompatibilityHook',
    'CompileNetworksHook', 'DistillationEpochHook', 'KeepCheckpointsHook', 'NaNGuardHook',
    'NonFiniteLossError', 'PeerSelectionHook', 'ReproducibleEpochHook', 'ResumeCheckHook',
    'StudentCheckpointHook', 'TeacherEvalHook', 'UNIXKDComputationHook'
]
