from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


@HOOKS.register_module()
class PeerSelectionHook(Hook):
    """After each validation, tell an online distiller which of its peers was best.

    Reads ``peer/best`` (1-based, any number of peers) from the validation metrics
    (``PeerAccuracy``) and calls ``model.set_best_peer(best - 1)``, which makes that peer the
    model's deliverable (``HSSAKDOnlineDistiller.deliverable``). It runs before the checkpoint
    hooks (priority ``NORMAL`` < ``VERY_LOW``), so the full checkpoint saved as best and
    ``student_best.pth`` (the best peer's plain classifier) reflect this validation. The metrics
    are the same on every rank, so every rank picks the same peer.
    """

    priority = 'NORMAL'

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not metrics or 'peer/best' not in metrics:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_best_peer'):
            return
        best = int(metrics['peer/best']) - 1
        model.set_best_peer(best)
        scores = '  '.join(f'{k}: {v:.2f}' for k, v in metrics.items()
                           if k.startswith('peer') and k != 'peer/best')
        runner.logger.info(f'Better peer: {best + 1} ({scores}); predict/export use it.')
