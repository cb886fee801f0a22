"""Engine parts: hooks, optimizer-wrapper constructors, the Tf-KD and FFSD-ImageNet warm-up
schedulers, CPU SyncBN and separate-DDP wrappers for gloo runs, and the benchmark loop."""
from .benchmark import BenchmarkTrainLoop
from .cpu_sync_bn import (CPUSyncBatchNorm, CPUSyncDistributedDataParallel,
                          convert_cpu_sync_batchnorm)
from .ffsd_warmup_lr import FFSDWarmupLR
from .hooks import (BestCheckpointGuardHook, ChannelsLastHook, CheckpointCompatibilityHook,
                    CompileNetworksHook, DistillationEpochHook, KeepCheckpointsHook, NaNGuardHook,
                    NonFiniteLossError, PeerSelectionHook, ReproducibleEpochHook, ResumeCheckHook,
                    StudentCheckpointHook, TeacherEvalHook, UNIXKDComputationHook)
from .linear_warmup_lr import LinearWarmUpLR
from .online_ddp import CPUSyncSeparateDistributedDataParallel
from .optimizers import OnlinePartsOptimWrapperConstructor

__all__ = [
    'BenchmarkTrainLoop', 'CPUSyncBatchNorm', 'CPUSyncDistributedDataParallel',
    'CPUSyncSeparateDistributedDataParallel', 'convert_cpu_sync_batchnorm', 'FFSDWarmupLR',
    'LinearWarmUpLR', 'OnlinePartsOptimWrapperConstructor', 'BestCheckpointGuardHook',
    'ChannelsLastHook', 'CheckpointCompatibilityHook', 'CompileNetworksHook',
    'DistillationEpochHook', 'KeepCheckpointsHook', 'NaNGuardHook', 'NonFiniteLossError',
    'PeerSelectionHook', 'ReproducibleEpochHook', 'ResumeCheckHook', 'StudentCheckpointHook',
    'TeacherEvalHook', 'UNIXKDComputationHook'
]
