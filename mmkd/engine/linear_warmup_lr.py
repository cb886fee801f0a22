"""``LinearWarmUpLR``: the per-iteration linear warm-up of pytorch-cifar100's ``WarmUpLR`` (used by
Tf-KD in train_kd.py), as an mmengine parameter scheduler.

(A scheduler, not a hook: it lives in ``mmkd.engine``, the location the ``PARAM_SCHEDULERS``
registry imports on first build.)
"""
from mmengine.optim.scheduler.lr_scheduler import LinearLR

from mmkd.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class LinearWarmUpLR(LinearLR):
    """Linear warm-up whose ``t``-th iteration (0-based) of ``n`` runs at ``lr·(t + 1)/n``.

    The reference (Tf-KD ``utils.WarmUpLR`` with ``-warm 1``) calls ``warmup_scheduler.step()``
    *before* every iteration of epoch 0, setting ``lr = base_lr·last_epoch/(n + 1e-8)``, so the
    first iteration already uses ``base_lr/n`` and the last one ``base_lr``. mmengine's
    ``LinearLR`` with ``start_factor=s`` over ``[begin, end)`` gives ``s + (1 − s)·t/(n − 1)``,
    which is exactly ``(t + 1)/n`` for ``s = 1/n`` — ``n`` being the number of iterations of the
    warm-up, only known once the dataloader is built. This class sets ``start_factor = 1/n`` itself
    (``start_factor=None``), so a config just says::

        dict(type='LinearWarmUpLR', by_epoch=True, begin=0, end=1, convert_to_iter_based=True)

    (``n = len(train_dataloader)``, whatever the dataset size and batch size). Then the lr stays at
    the base value (chain it with ``MultiStepLR`` etc.).
    """

    def __init__(self,
                 optimizer,
                 start_factor=None,
                 end_factor: float = 1.0,
                 begin: int = 0,
                 end: int = 1,
                 **kwargs):
        if start_factor is None:
            if end - begin < 1:
                raise ValueError(f'LinearWarmUpLR needs end > begin, got begin={begin}, '
                                 f'end={end}')
            start_factor = 1.0 / (end - begin)
        super().__init__(
            optimizer,
            start_factor=start_factor,
            end_factor=end_factor,
            begin=begin,
            end=end,
            **kwargs)
