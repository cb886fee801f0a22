import os.path as osp
from typing import Optional

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
    ``meta['source_checkpoint']`` names the full checkpoint they were taken from, and
    ``meta['epoch']``/``meta['iter']`` are that checkpoint's (mmengine's counters: the epoch
    1-based, as in ``epoch_<n>.pth``).

    ``student_best.pth`` always holds the student of the current ``best_*.pth``: right after a
    validation that made a new best it is taken from the model (which is what was just saved as
    best); in any other case (a run resumed after a best epoch, possibly killed before this file
    was written) it is extracted from the ``best_*.pth`` file itself. Runs after mmengine's
    ``CheckpointHook`` (priority VERY_LOW) and writes atomically.
    """

    priority = 'LOWEST'

    def __init__(self):
        self._sources = None
        self._best_before: Optional[str] = None

    def _model(self, runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def _path(self, runner, name: str) -> str:
        return osp.join(runner.work_dir, name)

    def _load_sources(self, runner) -> dict:
        """Which full checkpoint each student file on disk was taken from."""
        if self._sources is None:
            from mmkd.utils.checkpoint import safe_load
            self._sources = {}
            for name in ('student_last.pth', 'student_best.pth'):
                try:
                    meta = safe_load(self._path(runner, name))['meta']
                    self._sources[name] = meta.get('source_checkpoint')
                except Exception:  # missing or unreadable: written again when needed
                    self._sources[name] = None
        return self._sources

    def _write(self, runner, name: str, source: str, state: dict, epoch: int, it: int) -> None:
        meta = dict(
            epoch=epoch,
            iter=it,
            source_checkpoint=source,
            dataset_meta=getattr(runner.train_dataloader.dataset, 'metainfo', None))
        atomic_torch_save(dict(meta=meta, state_dict=state), self._path(runner, name))
        self._load_sources(runner)[name] = source

    def _save_live(self, runner, name: str, source: str, epoch: int, it: int) -> None:
        """The student as it is now; ``epoch``/``it``: the counters in ``source``'s meta."""
        model = self._model(runner)
        if not hasattr(model, 'student_state_dict') or not is_main_process():
            return
        state = {k: v.detach().cpu().clone() for k, v in model.student_state_dict().items()}
        self._write(runner, name, source, state, epoch, it)

    def _save_from_file(self, runner, name: str, source: str) -> None:
        """The student of the full checkpoint ``source`` (loaded into the model for a moment, so
        that ``student_state_dict`` picks the student the way it does in training)."""
        from mmkd.utils.checkpoint import safe_load
        model = self._model(runner)
        if not hasattr(model, 'student_state_dict') or not is_main_process() or \
                not osp.isfile(source):
            return
        checkpoint = safe_load(source)
        live = {k: v.detach().clone() for k, v in model.state_dict().items()}
        try:
            model.load_state_dict(checkpoint['state_dict'], strict=True)
            state = {k: v.detach().cpu().clone() for k, v in model.student_state_dict().items()}
        finally:
            model.load_state_dict(live, strict=True)
        meta = checkpoint.get('meta', {})
        self._write(runner, name, source, state, meta.get('epoch', -1), meta.get('iter', -1))

    def before_train(self, runner) -> None:
        if not getattr(runner, '_resume', False):
            return
        sources = self._load_sources(runner)
        best = runner.message_hub.get_info('best_ckpt')
        if best and best != sources['student_best.pth']:
            self._save_from_file(runner, 'student_best.pth', best)
        last = runner.message_hub.get_info('last_ckpt')
        if last and last != sources['student_last.pth']:
            self._save_from_file(runner, 'student_last.pth', last)

    def _save_last(self, runner, epoch: int, it: int) -> None:
        last = runner.message_hub.get_info('last_ckpt')
        if last and last != self._load_sources(runner)['student_last.pth']:
            self._save_live(runner, 'student_last.pth', last, epoch, it)

    def after_train_epoch(self, runner) -> None:
        # the counters CheckpointHook gives the epoch checkpoint it has just written (1-based)
        self._save_last(runner, runner.epoch + 1, runner.iter)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not runner.train_loop.__class__.__name__.startswith('Epoch'):
            self._save_last(runner, runner.epoch, runner.iter + 1)  # an iteration checkpoint's

    def before_val_epoch(self, runner) -> None:
        self._best_before = runner.message_hub.get_info('best_ckpt')

    def after_val_epoch(self, runner, metrics=None) -> None:
        best = runner.message_hub.get_info('best_ckpt')
        if not best or best == self._load_sources(runner)['student_best.pth']:
            return
        if best != self._best_before:  # this validation made it: the model is what was saved
            self._save_live(runner, 'student_best.pth', best, runner.epoch, runner.iter)
        else:
            self._save_from_file(runner, 'student_best.pth', best)
