import math

import torch
from mmengine.hooks import Hook

from mmkd.registry import HOOKS
from mmkd.utils.errors import MMKDUserError


class NonFiniteLossError(MMKDUserError):
    """A loss term became NaN or infinite."""


@HOOKS.register_module()
class NaNGuardHook(Hook):
    """Stop training when a logged loss term is NaN or infinite.

    Runs after every training iteration, before the checkpoint hook, so no checkpoint is written
    from the broken weights: the last good checkpoint stays the newest one and ``--resume``
    picks it. The message names the iteration and every non-finite term.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        bad = []
        for name, value in outputs.items():
            if 'loss' not in name:
                continue
            number = value.item() if isinstance(value, torch.Tensor) else float(value)
            if not math.isfinite(number):
                bad.append(f'{name}={number}')
        if bad:
            last = runner.message_hub.get_info('last_ckpt')
            where = (f'the last good checkpoint is {last} (resume from it with --resume)'
                     if last else 'no checkpoint had been written yet')
            raise NonFiniteLossError(
                f'Training stopped: loss became non-finite at iteration {runner.iter + 1} '
                f'(epoch {runner.epoch + 1}): {", ".join(bad)}; {where}. Lower the learning '
                'rate or the loss weights, or check the data and the teacher checkpoint.')
