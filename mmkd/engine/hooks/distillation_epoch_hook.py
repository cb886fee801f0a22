from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


@HOOKS.register_module()
class DistillationEpochHook(Hook):
    """Tell the model the current epoch before each training epoch.

    Drives everything in a distiller that depends on the epoch: the initialisation stage of
    AB/FT/FSP (``init_epochs``), loss warm-ups (DKD) and other schedules; it runs after a resume
    too, so the restored epoch takes effect.
    """

    priority = 'NORMAL'

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if hasattr(model, 'set_epoch'):
            model.set_epoch(runner.epoch)
