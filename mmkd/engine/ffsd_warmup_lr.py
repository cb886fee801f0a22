"""``FFSDWarmupLR``: the per-iteration warm-up of FFSD's ImageNet trainer as an mmengine parameter
scheduler (SJLeo/FFSD ``ImageNetTrainer.py`` / ``DistributeImageNetTrainer.py``,
``adjust_learning_rates``).

(A scheduler, not a hook: it lives in ``mmkd.engine``, the location the ``PARAM_SCHEDULERS``
registry imports on first build.)
"""
import logging

from mmengine.logging import print_log
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler

from mmkd.registry import PARAM_SCHEDULERS
from mmkd.utils.errors import ConfigError


@PARAM_SCHEDULERS.register_module()
class FFSDWarmupLR(LRSchedulerMixin, _ParamScheduler):
    """``lr = base_lr · (1 + s + e·L) / (W·L)`` while the 1-based epoch ``e < W``, then
    ``base_lr`` (the step decay is a separate ``MultiStepLR`` chained after it).

    The reference sets every iteration (``adjust_lr``) ``lr = 0.1 · 0.1^(⌊e/30⌋ + [e ≥ 80])``
    and, for ``e < 5``, multiplies it by ``(1 + step + e·len_epoch) / (5·len_epoch)``, where ``e``
    is the 1-based epoch of its loop ``range(1, 90)``, ``step`` the batch index within the epoch
    and ``len_epoch = len(train set) // batch_size`` (5004 for ImageNet-1k at 256, while the
    loader yields ``ceil`` = 5005 batches). So the warm-up covers the first **four** epochs,
    starts at ``(1 + L)/(5L) ≈ 0.2`` of the base lr and rises by ``1/(5L)`` per iteration; when
    the loader has one batch more than ``L`` the last batch of an epoch and the first of the next
    share a value, and the last warm-up iteration slightly exceeds the base lr
    (``(5L + 1)/(5L)``), as in the reference.

    Config (by epoch, converted to iterations, so ``n = len(train_dataloader)`` is known)::

        dict(type='FFSDWarmupLR', warmup_epochs=5, reference_epoch_length=5004,
             by_epoch=True, convert_to_iter_based=True)

    Args:
        warmup_epochs: ``W`` of the reference's ``epoch < 5`` and ``5·len_epoch`` (5).
        reference_epoch_length: ``L``, the reference's ``len(dataset) // batch_size``; ``None``
            uses ``n`` (exact when the batch size divides the training set). A value that is
            neither ``n`` nor ``n − 1`` (the ImageNet-1k value on another set or batch size) is
            replaced by ``n`` with a warning.
        epoch_length: ``n``, iterations per epoch (filled in by ``convert_to_iter_based``).
    """

    def __init__(self,
                 optimizer,
                 warmup_epochs: int = 5,
                 reference_epoch_length=None,
                 epoch_length=None,
                 begin: int = 0,
                 end=None,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False):
        if by_epoch or epoch_length is None:
            raise ConfigError('FFSDWarmupLR changes the lr every iteration: configure it with '
                              'by_epoch=True, convert_to_iter_based=True (so that the number of '
                              'iterations per epoch is known).')
        if not isinstance(warmup_epochs, int) or warmup_epochs < 1:
            raise ConfigError(f'FFSDWarmupLR: warmup_epochs must be a positive integer, got '
                              f'{warmup_epochs!r}.')
        n = int(epoch_length)
        length = n if reference_epoch_length is None else int(reference_epoch_length)
        if not n - 1 <= length <= n:
            # e.g. the ImageNet-1k value on a subset or another batch size: the reference's
            # len_epoch of *this* loader is n or n - 1; n keeps the warm-up four epochs long
            print_log(
                f'FFSDWarmupLR: reference_epoch_length={reference_epoch_length} does not '
                f'fit this train loader ({n} iterations per epoch; it is len(train set) '
                f'// total batch size, {n - 1} or {n}); using {n}.',
                logger='current',
                level=logging.WARNING)
            length = n
        if begin != 0:
            raise ConfigError(f'FFSDWarmupLR starts at the first iteration (begin=0), got '
                              f'begin={begin}.')
        self.warmup_epochs = warmup_epochs
        self.epoch_length = n
        self.reference_epoch_length = length
        # active up to and including the first iteration of epoch W, which it sets to base_lr
        warm_end = (warmup_epochs - 1) * n + 1
        super().__init__(
            optimizer,
            begin=0,
            end=warm_end if end is None else min(end, warm_end),
            last_step=last_step,
            by_epoch=False,
            verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls,
                              *args,
                              begin=0,
                              end=None,
                              by_epoch=True,
                              epoch_length=None,
                              **kwargs):
        """Built by the Runner for ``convert_to_iter_based=True`` (``end`` in epochs)."""
        if not by_epoch:
            raise ConfigError('FFSDWarmupLR: convert_to_iter_based needs by_epoch=True.')
        if end is not None:
            end = int(end * epoch_length)
        return cls(
            *args,
            begin=int(begin * epoch_length),
            end=end,
            by_epoch=False,
            epoch_length=epoch_length,
            **kwargs)

    def factor(self, iteration: int) -> float:
        """The reference's warm-up factor at the 0-based global ``iteration``."""
        epoch, step = divmod(int(iteration), self.epoch_length)
        epoch += 1  # the reference's 1-based epoch
        if epoch >= self.warmup_epochs:
            return 1.0
        length = self.reference_epoch_length
        return float(1 + step + epoch * length) / (self.warmup_epochs * length)

    def _get_value(self):
        # closed form from the base lr (nothing else changes the lr during the warm-up)
        f = self.factor(self.last_step)
        return [base * f for base in self.base_values]
