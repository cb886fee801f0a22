import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mmkd.datasets.reproducible import sample_seed
from mmkd.registry import HOOKS


@HOOKS.register_module()
class ReproducibleEpochHook(Hook):
    """Re-seed the main process's ``random``/``numpy``/``torch`` at the start of every epoch.

    The seed is mixed from the run's seed, the epoch and the rank, so whatever the model draws
    (dropout, CRD's random negatives, ...) in an epoch does not depend on what earlier epochs
    drew: a run resumed at an epoch boundary continues with exactly the numbers of an
    uninterrupted run. The data side is seeded per sample (:mod:`mmkd.datasets.reproducible`).
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed = sample_seed(runner.seed or 0, runner.epoch, 1_000_003 + runner.rank)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
