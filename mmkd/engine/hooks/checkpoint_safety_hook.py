"""Hooks that make mmengine's checkpointing and ``Runner.resume`` safe and exact.

* :class:`ResumeCheckHook` (first of all hooks): atomic local writes, the work-dir lock and the
  removal of stale temporary files before anything is written; on every loaded checkpoint it drops
  ``meta['config']`` (which ``Runner.resume`` would execute); on ``--resume`` it refuses files that
  cannot be continued and says which value wins where config and checkpoint differ.
* :class:`BestCheckpointGuardHook` (after ``CheckpointHook``): the new best checkpoint is written
  before the previous one is removed, and a resumed epoch whose validation had not completed is
  validated before training continues.

Both are in mmkd's default runtime; ``tools/train.py`` adds them to a config that lacks them.
"""
import glob
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook

from mmkd.registry import HOOKS
from mmkd.utils.atomic import install_atomic_local_backend, remove_stale_tmp_files
from mmkd.utils.resume import (align_sampler_seed, check_epoch_boundary, check_training_checkpoint,
                               drop_config_text, reconcile_hyperparameters)
from mmkd.utils.work_dir_lock import lock_work_dir, unlock_work_dir

#: message-hub key: the epoch (or iteration) whose validation reached the best-checkpoint step
VALIDATED_KEY = 'mmkd_validated_step'


def _resuming(runner) -> bool:
    return bool(getattr(runner, '_resume', False))


@HOOKS.register_module()
class ResumeCheckHook(Hook):
    """Guard the work dir and every checkpoint ``Runner.resume`` reads.

    ``before_run``: mmengine's local file backend writes atomically; the work dir is locked
    (:mod:`mmkd.utils.work_dir_lock`, main process), then the ``.tmp`` files that killed saves left
    there are removed. ``after_load_checkpoint``: see :mod:`mmkd.utils.resume`.
    """

    priority = 'HIGHEST'

    def __init__(self, lock: bool = True):
        self.lock = lock
        self._locked = False

    def before_run(self, runner) -> None:
        install_atomic_local_backend()
        if not is_main_process():
            return
        if self.lock:
            self._locked = lock_work_dir(runner.work_dir)
        for path in remove_stale_tmp_files(runner.work_dir):
            runner.logger.info(f'Removed {path}, left by a save that was interrupted.')

    def after_run(self, runner) -> None:
        if self._locked:
            unlock_work_dir(runner.work_dir)
            self._locked = False

    def after_load_checkpoint(self, runner, checkpoint) -> None:
        if drop_config_text(checkpoint):
            runner.logger.warning(
                "Ignored meta['config'] of the loaded checkpoint: config text stored in a "
                'checkpoint is never executed.')
        if not _resuming(runner):
            return
        filename = str(getattr(runner, '_load_from', None) or 'the checkpoint')
        check_training_checkpoint(checkpoint, filename, runner)
        check_epoch_boundary(checkpoint, filename, runner)
        notes = reconcile_hyperparameters(checkpoint, runner)
        seed_note = align_sampler_seed(checkpoint, runner)
        if seed_note:
            notes.append(seed_note)
        for note in notes:
            runner.logger.warning(f'Resume, config vs checkpoint: {note}.')


@HOOKS.register_module()
class BestCheckpointGuardHook(Hook):
    """Never be left without a best checkpoint; validate an epoch whose validation was cut short.

    mmengine's ``CheckpointHook`` removes the previous ``best_*.pth`` before writing the new one,
    so a kill in between leaves none. This hook wraps the ``CheckpointHook`` instances of the run:
    the new best is written first (atomically), then the previous one is removed. It also records
    in the message hub that the epoch's validation reached that point (saved with the re-saved
    epoch checkpoint). On resume, an epoch whose checkpoint does not record a completed validation
    is validated first: when its validation had completed without a new best, this validates again
    and changes nothing (the score is not better than the best), otherwise it gives the best the
    uninterrupted run had. ``best_*.pth`` files of the run that are no longer the best (a kill
    between writing the new and removing the old) are removed. Epoch-based validation only.
    """

    priority = 'LOWEST'

    def before_run(self, runner) -> None:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and not getattr(hook, '_mmkd_best_first', False):
                self._write_best_first(hook)

    @staticmethod
    def _write_best_first(hook: CheckpointHook) -> None:
        save_best = hook._save_best_checkpoint

        def save_new_best_then_remove_old(runner, metrics):
            step = runner.epoch if hook.by_epoch else runner.iter
            runner.message_hub.update_info(VALIDATED_KEY, step)
            old_one = getattr(hook, 'best_ckpt_path', None)
            old_many = dict(getattr(hook, 'best_ckpt_path_dict', {}) or {})
            # mmengine removes `best_ckpt_path` before saving; hide it until the new one exists
            hook.best_ckpt_path = None
            for key in old_many:
                hook.best_ckpt_path_dict[key] = None
            try:
                save_best(runner, metrics)
            except BaseException:
                # the new best may be incomplete: the previous one stays the one to replace
                hook.best_ckpt_path = old_one
                for key, old in old_many.items():
                    hook.best_ckpt_path_dict[key] = old
                raise
            replaced = []
            if hook.best_ckpt_path is None:
                hook.best_ckpt_path = old_one
            elif old_one and old_one != hook.best_ckpt_path:
                replaced.append(old_one)
            for key, old in old_many.items():
                if hook.best_ckpt_path_dict.get(key) is None:
                    hook.best_ckpt_path_dict[key] = old
                elif old and old != hook.best_ckpt_path_dict[key]:
                    replaced.append(old)
            if is_main_process():
                for path in replaced:
                    if hook.file_backend.isfile(path):
                        hook.file_backend.remove(path)
                        runner.logger.info(f'The previous best checkpoint {path} is removed.')

        hook._save_best_checkpoint = save_new_best_then_remove_old
        hook._mmkd_best_first = True

    def before_train(self, runner) -> None:
        if not _resuming(runner) or not getattr(runner, '_has_loaded', False):
            return
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook) and h.save_best]
        if not hooks:
            return
        for hook in hooks:
            if getattr(hook, 'last_ckpt', None) is None:
                # lets mmengine re-save the resumed epoch's checkpoint after a new best, as it
                # does in an uninterrupted run (the message hub then records the new best)
                hook.last_ckpt = runner.message_hub.get_info('last_ckpt')
            if is_main_process():
                self._remove_superseded_best(runner, hook)
        self._validate_unfinished_epoch(runner, hooks)

    @staticmethod
    def _remove_superseded_best(runner, hook: CheckpointHook) -> None:
        current = {runner.message_hub.get_info('best_ckpt')
                   } | {runner.message_hub.get_info(f'best_ckpt_{k}')
                        for k in hook.key_indicators}
        current = {osp.abspath(p) for p in current if p}
        if not current or not all(osp.isfile(p) for p in current):
            return  # keep every best file until the one the run records exists again
        for key in hook.key_indicators:
            prefix = f'best_{key}_'.replace('/', '_')
            for path in glob.glob(osp.join(glob.escape(str(hook.out_dir)), prefix + '*.pth')):
                if osp.abspath(path) not in current and osp.isfile(path):
                    hook.file_backend.remove(path)
                    runner.logger.info(f'Removed {path}: a previous best checkpoint that an '
                                       'interrupted run had not removed yet.')

    @staticmethod
    def _validate_unfinished_epoch(runner, hooks) -> None:
        from mmengine.runner import EpochBasedTrainLoop
        loop = runner.train_loop
        if runner.val_loop is None or not isinstance(loop, EpochBasedTrainLoop) or \
                not all(h.by_epoch for h in hooks):
            return
        epoch = loop.epoch
        if epoch == 0 and loop.iter == 0:
            return
        if hasattr(loop, '_decide_current_val_interval'):
            loop._decide_current_val_interval()
        due = epoch >= loop.val_begin and (epoch % loop.val_interval == 0
                                           or epoch == loop.max_epochs)
        if not due or runner.message_hub.get_info(VALIDATED_KEY) == epoch:
            return
        runner.logger.info(f'Epoch {epoch} was resumed without a record of its validation '
                           '(interrupted, or no new best): validating it before training on.')
        runner.val_loop.run()


def ensure_checkpoint_safety_hooks(runner) -> None:
    """Register :class:`ResumeCheckHook` and :class:`BestCheckpointGuardHook` if the config lacks
    them (a config that replaces mmkd's default hooks)."""
    for cls in (ResumeCheckHook, BestCheckpointGuardHook):
        if not any(isinstance(h, cls) for h in runner.hooks):
            runner.register_hook(cls())
