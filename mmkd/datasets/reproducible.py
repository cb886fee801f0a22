"""Augmentation randomness that depends only on (seed, epoch, sample), so resume is exact.

PyTorch gives each loader worker a seed drawn when the worker starts; mmengine's
``worker_init_fn`` then re-seeds every worker with ``seed + worker_id + rank``, which is the same
every epoch: with ``persistent_workers=False`` the workers are re-created each epoch and every
epoch sees *the same* crops and flips. With persistent workers the streams differ per epoch but
cannot be restored on ``--resume``. mmkd instead seeds the random generators right before each
sample's pipeline runs:

* :class:`EpochSeededSampler` (a ``DefaultSampler``) yields :class:`SeededIndex` values: ints
  that also carry the sampler's seed and epoch, and travel to the loader workers with the index;
* :class:`SeedAugmentation`, the first transform of a training pipeline, seeds ``random``,
  ``numpy`` and ``torch`` from ``(seed, epoch, index)`` and turns ``sample_idx`` back into a plain
  int.

The augmentation of a sample is then a pure function of the run's seed, the epoch and the sample,
whatever the number of workers, their persistence, the process rank or an interruption.
"""
import random

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.dataset import DefaultSampler

from mmkd.registry import DATA_SAMPLERS, TRANSFORMS


class SeededIndex(int):
    """A dataset index that remembers the sampler's ``seed`` and ``epoch``."""

    def __new__(cls, value: int, seed: int, epoch: int):
        obj = super().__new__(cls, value)
        obj.seed = int(seed)
        obj.epoch = int(epoch)
        return obj

    def __reduce__(self):
        return SeededIndex, (int(self), self.seed, self.epoch)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 32-bit seed mixed from the three numbers (numpy's SeedSequence)."""
    return int(np.random.SeedSequence([seed % 2**32, epoch, index]).generate_state(1)[0])


@DATA_SAMPLERS.register_module()
class EpochSeededSampler(DefaultSampler):
    """``DefaultSampler`` (same order, same rank split) that tags indices with seed and epoch."""

    def __iter__(self):
        for index in super().__iter__():
            yield SeededIndex(index, self.seed, self.epoch)


@TRANSFORMS.register_module()
class SeedAugmentation(BaseTransform):
    """Seed ``random``/``numpy``/``torch`` from the sample's ``SeededIndex`` (first transform).

    Samples without a seeded index (validation, or another sampler) pass through untouched.
    """

    def transform(self, results: dict) -> dict:
        index = results.get('sample_idx')
        if isinstance(index, SeededIndex):
            seed = sample_seed(index.seed, index.epoch, int(index))
            random.seed(seed)
            np.random.seed(seed)
            # the CPU generator only: torch.manual_seed also queues a lazy seed call for every
            # accelerator backend, and each of those records a formatted stack trace (~0.2 ms a
            # sample, more than the crop and flip); loader workers never use an accelerator
            torch.default_generator.manual_seed(seed)
            results['sample_idx'] = int(index)
        return results
