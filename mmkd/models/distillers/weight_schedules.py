"""Per-loss-entry weight schedules: a factor multiplying one loss entry, set once per epoch.

A schedule is declared on the loss entry, not written into the loss::

    distill_losses=dict(
        dkd=dict(type='DKDLoss', beta=8.0, weight_schedule=dict(type='LinearWarmup', epochs=20)))

Contract: a schedule is any object registered in :data:`WEIGHT_SCHEDULES` with
``factor(epoch: int) -> float``, where ``epoch`` is **1-based** (the first training epoch is 1;
the distiller passes ``runner.epoch + 1``, which :class:`~mmkd.engine.DistillationEpochHook` sets
before every epoch). The loss entry's value is multiplied by that factor for the whole epoch;
before any epoch is set, the factor of epoch 1 is used. Write a new one as::

    @WEIGHT_SCHEDULES.register_module()
    class MySchedule(WeightSchedule):
        def __init__(self, epochs):
            self.epochs = epochs

        def factor(self, epoch):
            return min(1.0, epoch / self.epochs) ** 2
"""
import math

from mmengine.registry import Registry

from mmkd.utils.errors import ConfigError

WEIGHT_SCHEDULES = Registry(
    'loss weight schedule', scope='mmkd', locations=['mmkd.models.distillers.weight_schedules'])


class WeightSchedule:
    """Base class: ``factor(epoch)`` for the 1-based ``epoch``."""

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


def _positive_epochs(epochs, who: str) -> int:
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ConfigError(f'{who}: epochs must be a positive integer, got {epochs!r}.')
    return epochs


@WEIGHT_SCHEDULES.register_module()
class LinearWarmup(WeightSchedule):
    """``min(e / epochs, 1)`` for the 1-based epoch ``e``.

    DKD (Zhao et al., CVPR 2022, §4 "training details"; mdistiller ``distillers/DKD.py``:
    ``min(kwargs["epoch"] / self.warmup, 1.0)`` with mdistiller's 1-based epoch, warm-up 20).
    """

    def __init__(self, epochs: int):
        self.epochs = _positive_epochs(epochs, 'LinearWarmup')

    def factor(self, epoch: int) -> float:
        return min(epoch / self.epochs, 1.0)


@WEIGHT_SCHEDULES.register_module()
class ExpRampUp(WeightSchedule):
    """``exp(-scale · (1 − e / epochs)²)`` for ``e < epochs``, 1 from ``e = epochs`` on
    (1-based epoch ``e``): the sigmoid-shaped ramp-up of Laine & Aila (ICLR 2017,
    "Temporal Ensembling", §3.1) that FFSD uses with ``scale = 5`` over its first 5 epochs."""

    def __init__(self, epochs: int, scale: float = 5.0):
        self.epochs = _positive_epochs(epochs, 'ExpRampUp')
        self.scale = float(scale)

    def factor(self, epoch: int) -> float:
        if epoch >= self.epochs:
            return 1.0
        return math.exp(-self.scale * (1.0 - epoch / self.epochs)**2)


@WEIGHT_SCHEDULES.register_module()
class StepWeights(WeightSchedule):
    """``values[i]`` from epoch ``milestones[i - 1]`` on (1-based); ``values[0]`` before the
    first milestone. E.g. ``milestones=[10], values=[0.0, 1.0]`` switches a term on at epoch 10.
    """

    def __init__(self, milestones, values):
        milestones, values = list(milestones), [float(v) for v in values]
        if len(values) != len(milestones) + 1 or milestones != sorted(milestones):
            raise ConfigError('StepWeights needs sorted milestones and one more value than '
                              f'milestones; got milestones={milestones}, values={values}.')
        self.milestones, self.values = milestones, values

    def factor(self, epoch: int) -> float:
        return self.values[sum(epoch >= m for m in self.milestones)]


def build_weight_schedule(cfg, who: str) -> WeightSchedule:
    """A schedule from its config (or an already built schedule)."""
    if hasattr(cfg, 'factor'):
        return cfg
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ConfigError(f'{who}.weight_schedule must be a dict with a type (one of '
                          f'{", ".join(sorted(WEIGHT_SCHEDULES.module_dict))}), got {cfg!r}.')
    try:
        return WEIGHT_SCHEDULES.build(dict(cfg))
    except KeyError:
        raise ConfigError(f'{who}.weight_schedule: unknown type {cfg["type"]!r}; registered: '
                          f'{", ".join(sorted(WEIGHT_SCHEDULES.module_dict))}.') from None
