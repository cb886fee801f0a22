"""Warn when a distributed run's total batch differs from the one the recipe's lr was set for.

Published KD recipes fix the learning rate for one total batch (``auto_scale_lr.base_batch_size``,
e.g. 64 on one GPU in RepDistiller/HSAKD); ``tools/dist_train.sh CONFIG 4`` keeps the per-process
batch, so it trains with 4x the batch at the same lr unless ``--auto-scale-lr`` is given.
"""
import os
import sys
from typing import Optional

_WORLD_SIZE = dict(pytorch='WORLD_SIZE', slurm='SLURM_NTASKS', mpi='OMPI_COMM_WORLD_SIZE')
_RANK = dict(pytorch='RANK', slurm='SLURM_PROCID', mpi='OMPI_COMM_WORLD_RANK')


def launcher_world(launcher: str) -> tuple:
    """``(rank, world_size)`` of this process as its launcher's environment gives them."""
    if launcher not in _WORLD_SIZE:
        return 0, 1
    return (int(os.environ.get(_RANK[launcher], 0)), int(os.environ.get(_WORLD_SIZE[launcher], 1)))


def batch_mismatch_message(batch_per_process: int, world_size: int, base_batch_size: Optional[int],
                           auto_scale_lr: bool) -> Optional[str]:
    """The one-line warning, or None when the total batch is the recipe's (or lr is scaled)."""
    if auto_scale_lr or not base_batch_size or not batch_per_process:
        return None
    total = batch_per_process * world_size
    if total == base_batch_size:
        return None
    hint = ''
    if base_batch_size % world_size == 0:
        hint = f'={base_batch_size // world_size}'
    else:
        hint = f'=... (total {base_batch_size} is not divisible by {world_size} processes)'
    return (f'mmkd warning: total batch {world_size} x {batch_per_process} = {total}, but the '
            f'recipe\'s lr assumes {base_batch_size} (auto_scale_lr.base_batch_size); to match it '
            f'add --auto-scale-lr (lr x {total}/{base_batch_size}) or '
            f'--cfg-options train_dataloader.batch_size{hint}')


def warn_batch_mismatch(cfg, stream=None) -> Optional[str]:
    """Print the warning once (rank 0) for a run under a launcher; return it (None: no warning)."""
    rank, world_size = launcher_world(cfg.get('launcher', 'none'))
    if world_size <= 1 or rank != 0:
        return None
    auto = cfg.get('auto_scale_lr') or {}
    loader = cfg.get('train_dataloader') or {}
    message = batch_mismatch_message(
        loader.get('batch_size'), world_size, auto.get('base_batch_size'), bool(auto.get('enable')))
    if message:
        print(message, file=stream or sys.stderr, flush=True)
    return message
