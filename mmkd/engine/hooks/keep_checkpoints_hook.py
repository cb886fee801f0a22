import os
import os.path as osp
import shutil
import tempfile
from typing import Iterable

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmkd.registry import HOOKS


def atomic_copy(src: str, dst: str) -> None:
    """Copy ``src`` to a temporary file next to ``dst``, fsync, then rename it over ``dst``."""
    folder = osp.dirname(osp.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(dst) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as out, open(src, 'rb') as inp:
            shutil.copyfileobj(inp, out, length=16 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


@HOOKS.register_module()
class KeepCheckpointsHook(Hook):
    """Keep the checkpoints of chosen epochs (and the best one) under fixed names that
    ``CheckpointHook``'s ``max_keep_ckpts`` never deletes.

    ``<work_dir>/<out_dir>/epoch_<n>.pth`` holds the state after epoch ``n`` (1-based, the same
    content as mmengine's ``epoch_<n>.pth``); with ``best=True``, ``<work_dir>/<out_dir>/best.pth``
    is a copy of ``CheckpointHook``'s current best checkpoint (``save_best``), whose own file name
    carries the epoch. These are what Defective KD (a teacher after 1 or 51 epochs) and Tf-KD
    self-training (the student's best baseline) load as teachers, e.g.
    ``work_dirs/tfkd/baselines/resnet18_cifar100/keep/epoch_1.pth`` (Tf-KD README.md Re-KD/De-KD).

    When ``CheckpointHook`` has just written ``epoch_<n>.pth`` the file is copied (atomically);
    otherwise (another ``interval``) the hook saves the checkpoint itself. A config option, no code
    edit::

        custom_hooks = [dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True)]

    Epoch-based training only. Runs after ``CheckpointHook`` (priority ``LOWEST``), on the main
    process.

    Args:
        epochs: the epochs (1-based) whose checkpoints are kept.
        best: also keep a copy of the best checkpoint as ``best.pth``.
        out_dir: folder, relative to the work dir (or absolute).
        save_optimizer: when the hook saves a checkpoint itself: include the optimizer state.
    """

    priority = 'LOWEST'

    def __init__(self,
                 epochs: Iterable[int] = (),
                 best: bool = False,
                 out_dir: str = 'keep',
                 save_optimizer: bool = True):
        epochs = sorted({int(e) for e in epochs})
        if any(e < 1 for e in epochs):
            raise ValueError(f'KeepCheckpointsHook: epochs are 1-based, got {epochs}')
        self.epochs = epochs
        self.best = best
        self.out_dir = out_dir
        self.save_optimizer = save_optimizer

    def folder(self, runner) -> str:
        return osp.join(runner.work_dir, self.out_dir)

    def after_train_epoch(self, runner) -> None:
        n = runner.epoch + 1  # runner.epoch is incremented after this hook
        if n not in self.epochs:
            return
        name = f'epoch_{n}.pth'
        last = runner.message_hub.get_info('last_ckpt')
        if last and osp.basename(last) == name and osp.isfile(last):
            if is_main_process():
                atomic_copy(last, osp.join(self.folder(runner), name))
        else:  # CheckpointHook did not save this epoch (interval > 1)
            runner.save_checkpoint(
                self.folder(runner),
                name,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_optimizer)
        runner.logger.info(f'KeepCheckpointsHook: kept {osp.join(self.folder(runner), name)}')

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not self.best:
            return
        best = runner.message_hub.get_info('best_ckpt')
        if not best or best == runner.message_hub.get_info('keep_best_source'):
            return
        if is_main_process() and osp.isfile(best):
            atomic_copy(best, osp.join(self.folder(runner), 'best.pth'))
        runner.message_hub.update_info('keep_best_source', best)
