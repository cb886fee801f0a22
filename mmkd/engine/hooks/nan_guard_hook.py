import torch
from mmengine.hooks import Hook

from mmkd.registry import HOOKS
from mmkd.utils.errors import MMKDUserError


class NonFiniteLossError(MMKDUserError):
    """A loss term became NaN or infinite."""


@HOOKS.register_module()
class NaNGuardHook(Hook):
    """Stop training when a logged loss term is NaN or infinite.

    Every iteration the hook records, on the loss's own device and without waiting for it (no
    host synchronisation: a GPU step never waits on the CPU), which terms are non-finite and the
    first iteration each one was; it reads that record back every ``interval`` iterations and at
    the end of every epoch. The end-of-epoch check runs before the checkpoint hook (priority
    ``ABOVE_NORMAL``), so no checkpoint is written from broken weights: the last good checkpoint
    stays the newest one and ``--resume`` picks it. The message names the first bad iteration
    and every non-finite term with its value there.

    Args:
        interval: iterations between read-backs (mmengine's logger reads the losses back at its
            own interval anyway). ``1`` checks every iteration.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 50):
        self.interval = max(int(interval), 1)
        self._reset()

    def _reset(self) -> None:
        self._names = None
        self._first_bad = None  # per term: first non-finite iteration, -1 while finite
        self._bad_value = None  # per term: its value at that iteration

    def before_train_epoch(self, runner) -> None:
        self._reset()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        terms = {k: v for k, v in outputs.items() if 'loss' in k}
        if not terms:
            return
        names = tuple(terms)
        if names != self._names:  # first iteration, or another stage with other terms
            self._check(runner)
            self._names = names
        values = torch.stack(
            [torch.as_tensor(v).detach().float().reshape(()) for v in terms.values()])
        if self._first_bad is None:
            self._first_bad = torch.full_like(values, -1)
            self._bad_value = torch.zeros_like(values)
        new = ~torch.isfinite(values) & (self._first_bad < 0)
        self._first_bad = torch.where(new, torch.full_like(values, runner.iter), self._first_bad)
        self._bad_value = torch.where(new, values, self._bad_value)
        if (runner.iter + 1) % self.interval == 0:
            self._check(runner)

    def after_train_epoch(self, runner) -> None:
        self._check(runner)

    def _check(self, runner) -> None:
        if self._first_bad is None:
            return
        first_bad = self._first_bad.tolist()  # the one read-back
        if max(first_bad) < 0:
            return
        bad_value = self._bad_value.tolist()
        iteration = int(min(i for i in first_bad if i >= 0))
        bad = [
            f'{name}={value}' for name, i, value in zip(self._names, first_bad, bad_value) if i >= 0
        ]
        last = runner.message_hub.get_info('last_ckpt')
        where = (f'the last good checkpoint is {last} (resume from it with --resume)'
                 if last else 'no checkpoint had been written yet')
        raise NonFiniteLossError(
            f'Training stopped: loss became non-finite at iteration {iteration + 1} '
            f'(epoch {runner.epoch + 1}): {", ".join(bad)}; {where}. Lower the learning '
            'rate or the loss weights, or check the data and the teacher checkpoint.')
