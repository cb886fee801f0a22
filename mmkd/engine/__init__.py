"""Engine parts: hooks, the Tf-KD warm-up scheduler, CPU SyncBN for gloo runs and the benchmark
loop."""
from .benchmark import BenchmarkTrainLoop
from .cpu_sync_bn import (CPUSyncBatchNorm, CPUSyncDistributedDataParallel,
                          convert_cpu_sync_batchnorm)
from .hooks import (CheckpointCompatibilityHook, DistillationEpochHook, KeepCheckpointsHook,
                    NaNGuardHook, NonFiniteLossError, PeerSelectionHook, ReproducibleEpochHook,
                    StudentCheckpointHook, TeacherEvalHook)
from .linear_warmup_lr import LinearWarmUpLR

__all__ = [
    'BenchmarkTrainLoop', 'CPUSyncBatchNorm', 'CPUSyncDistributedDataParallel',
    'convert_cpu_sync_batchnorm', 'LinearWarmUpLR', 'CheckpointCompatibilityHook',
    'DistillationEpochHook', 'KeepCheckpointsHook', 'NaNGuardHook', 'NonFiniteLossError',
    'PeerSelectionHook', 'ReproducibleEpochHook', 'StudentCheckpointHook', 'TeacherEvalHook'
]
