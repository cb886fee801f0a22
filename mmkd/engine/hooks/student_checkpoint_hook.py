import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS
from mmkd.utils.atomic import atomic_torch_save


@HOOKS.register_module()
class StudentCheckpointHook(Hook):
    """Write student-only checkpoints next to the full ones: ``student_last.pth`` (whenever a
    training checkpoint is saved) and ``student_best.pth`` (whenever the best one changes).

    They hold ``{'meta': ..., 'state_dict': <plain student classifier weights>}`` and load into the
    plain student config with ``strict=True`` (``tools/test.py STUDENT_CONFIG student_best.pth``).
    Runs after mmengine's ``CheckpointHook`` (priority VERY_LOW) and writes atomically.
    """

    priority = 'LOWEST'

    def _model(self, runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def _save(self, runner, name: str, source: str) -> None:
        model = self._model(runner)
        if not hasattr(model, 'student_state_dict') or not is_main_process():
            return
        state = {k: v.detach().cpu() for k, v in model.student_state_dict().items()}
        meta = dict(epoch=runner.epoch, iter=runner.iter, source_checkpoint=source,
                    dataset_meta=getattr(runner.train_dataloader.dataset, 'metainfo', None))
        atomic_torch_save(dict(meta=meta, state_dict=state), osp.join(runner.work_dir, name))

    def after_train_epoch(self, runner) -> None:
        last = runner.message_hub.get_info('last_ckpt')
        if last and last != runner.message_hub.get_info('student_last_source'):
            self._save(runner, 'student_last.pth', last)
            runner.message_hub.update_info('student_last_source', last)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not runner.train_loop.__class__.__name__.startswith('Epoch'):
            self.after_train_epoch(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        best = runner.message_hub.get_info('best_ckpt')
        if best and best != runner.message_hub.get_info('student_best_source'):
            self._save(runner, 'student_best.pth', best)
            runner.message_hub.update_info('student_best_source', best)
