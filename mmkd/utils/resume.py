"""What ``--resume`` continues from, and what it refuses or reconciles.

* :func:`find_resumable_checkpoint` picks the checkpoint ``--resume`` (auto) continues from: the
  newest one that is complete and loads, skipping (and naming) corrupt newer files.
* The ``check_*``/``reconcile_*`` functions run on a checkpoint mmengine's ``Runner.resume`` has
  just read, before it uses it (``ResumeCheckHook.after_load_checkpoint``): they refuse files
  ``--resume`` cannot continue exactly, drop code-carrying metadata and say which value wins where
  the config and the checkpoint differ.
"""
import glob
import math
import os.path as osp
import re
import zipfile
from typing import Any, Dict, List, Optional, Tuple

from .errors import CheckpointError

#: optimizer settings compared between the config and the checkpoint on resume
OPTIMIZER_KEYS = ('momentum', 'weight_decay', 'dampening', 'nesterov', 'betas', 'eps', 'alpha')
#: scheduler state that describes progress, not the schedule's shape
SCHEDULE_PROGRESS_KEYS = {
    'base_values', 'last_step', '_global_step', '_last_value', 'verbose',
    '_get_value_called_within_step', 'last_epoch', '_step_count'
}


def is_complete_checkpoint(path: str) -> bool:
    """A torch checkpoint is a zip archive; a truncated file has no central directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            return len(archive.namelist()) > 0
    except (OSError, zipfile.BadZipFile):
        return False


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from (``None`` when it is an intact, loadable checkpoint).

    Checks the zip structure, every member's CRC (a flipped bit anywhere, tensors included) and
    then loads it with mmkd's safe loader (which refuses pickled code).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            if not archive.namelist():
                return 'it is empty'
            bad = archive.testzip()
            if bad is not None:
                return f'its member {bad} fails its CRC check (the file is corrupt)'
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        return f'it is truncated or not a PyTorch checkpoint ({e})'
    from .checkpoint import safe_load
    try:
        safe_load(path)
    except Exception as e:  # whatever the safe loader raises for a file it cannot load
        return str(e).splitlines()[0] if str(e) else type(e).__name__
    return None


def _number(path: str) -> int:
    match = re.search(r'(?:epoch|iter)_(\d+)\.pth$', path)
    return int(match.group(1)) if match else -1


def _warn(message: str) -> None:
    import logging

    from mmengine.logging import print_log
    print_log(message, logger='current', level=logging.WARNING)


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest intact checkpoint of ``work_dir`` (``None`` when there is none).

    ``last_checkpoint`` names the newest file; when it is missing, dangling or names a file that
    is truncated or corrupt (see :func:`checkpoint_problem`), the ``epoch_*.pth``/``iter_*.pth``
    files are tried from the newest down. Every file skipped is named with the reason, in a
    warning that also names the file resumed from.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    candidates: List[str] = []
    if osp.isfile(pointer):
        with open(pointer, errors='replace') as f:
            named = f.read().strip()
        if named and not osp.isabs(named):
            named = osp.join(work_dir, named)
        if named and osp.isfile(named):
            candidates.append(named)
    numbered = glob.glob(osp.join(glob.escape(work_dir), 'epoch_*.pth')) + glob.glob(
        osp.join(glob.escape(work_dir), 'iter_*.pth'))
    for path in sorted(numbered, key=_number, reverse=True):
        if not any(osp.samefile(path, c) for c in candidates):
            candidates.append(path)
    skipped = []
    for path in candidates:
        problem = checkpoint_problem(path)
        if problem is None:
            if skipped:
                _warn('--resume auto: skipped ' + '; '.join(skipped) +
                      f'. Resuming from {path}, the newest intact checkpoint.')
            return path
        skipped.append(f'{path} ({problem})')
    if skipped:
        _warn('--resume auto: no intact checkpoint in ' + work_dir + ': skipped ' +
              '; '.join(skipped) + '. Training starts from scratch.')
    return None


# ---------------------------------------------------------------- checks on a loaded checkpoint
def drop_config_text(checkpoint: Any) -> bool:
    """Remove ``meta['config']`` (config *source* text) from a loaded checkpoint.

    mmengine's ``Runner.resume`` passes it to ``Config.fromstring``, which executes it as Python;
    a checkpoint made of plain data could run code that way. mmengine itself writes the config
    under ``meta['cfg']`` (never executed); ``meta['config']`` only served a GPU-count check.
    Returns whether something was removed.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict) and 'config' in meta:
        del meta['config']
        return True
    return False


def check_training_checkpoint(checkpoint: Any, filename: str, runner) -> None:
    """Refuse to ``--resume`` a file without the state training continues from.

    ``best_*.pth`` (no optimizer, no LR schedule) and ``student_*.pth`` (student weights only) would
    silently restart the schedule and the momentum, or fail deep inside mmengine.
    """
    missing = []
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get('meta'), dict) or \
            'epoch' not in checkpoint['meta'] or 'iter' not in checkpoint['meta']:
        missing.append('the epoch/iteration counters')
    if isinstance(checkpoint, dict):
        if 'message_hub' not in checkpoint:
            missing.append('the logged training state (message_hub)')
        if 'optimizer' not in checkpoint:
            missing.append('the optimizer state')
        if 'param_schedulers' not in checkpoint and runner.param_schedulers is not None:
            missing.append('the LR schedule state')
    if not missing:
        return
    name = osp.basename(filename)
    kind = (
        'a best checkpoint (weights only)' if name.startswith('best_') else
        'a student-only checkpoint' if name.startswith('student_') else 'not a training checkpoint')
    raise CheckpointError(
        f'Cannot --resume {filename}: it is {kind}, without {", ".join(missing)}. --resume '
        'continues an interrupted run from one of its epoch_*.pth/iter_*.pth files (or '
        '`--resume auto`). To start a new run from these weights, pass '
        f'`--cfg-options load_from={filename}` without --resume (student_*.pth: with the plain '
        'student config).')


def check_epoch_boundary(checkpoint: dict, filename: str, runner) -> None:
    """Refuse an iteration checkpoint saved in the middle of an epoch of epoch-based training.

    mmengine's epoch loop restarts the epoch from its first batch, so the batches before the save
    would be trained twice. A checkpoint at an epoch boundary passes; when the counters do not fit
    this config's epoch length (the dataset or batch size changed) a warning says so.
    """
    from mmengine.runner import EpochBasedTrainLoop
    if not isinstance(runner.train_loop, EpochBasedTrainLoop):
        return
    epoch, it = int(checkpoint['meta']['epoch']), int(checkpoint['meta']['iter'])
    per_epoch = len(runner.train_dataloader)
    if it == epoch * per_epoch:
        return
    if re.match(r'iter_\d+\.pth$', osp.basename(filename)) or it > epoch * per_epoch:
        done = it - epoch * per_epoch
        where = (f'at iteration {it}, {done} of {per_epoch} iterations into epoch {epoch + 1}'
                 if done < per_epoch else
                 f'at iteration {it}, the last of epoch {epoch + 1} but before the epoch was '
                 'closed (its end-of-epoch hooks, LR step and validation)')
        raise CheckpointError(
            f'Cannot --resume {filename} exactly: it was saved {where}, and the epoch-based loop '
            f'would replay epoch {epoch + 1} from its first batch. Resume from an epoch_*.pth '
            'checkpoint (`--resume auto` picks the newest), or save by epoch '
            '(default_hooks.checkpoint.by_epoch=True).')
    _warn(f'Resuming {filename}: it was saved after {epoch} epochs at iteration {it}, but this '
          f'config has {per_epoch} iterations per epoch; the dataset or the batch size changed '
          'since, so the run does not continue the same schedule of iterations.')


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def _optimizer_pairs(runner, checkpoint: dict) -> List[Tuple[str, Any, dict]]:
    """(name, live torch optimizer, saved optimizer state) for every optimizer of the run."""
    from mmengine.optim import OptimWrapperDict
    wrapper, saved = runner.optim_wrapper, checkpoint.get('optimizer')
    if not isinstance(saved, dict):
        return []
    if isinstance(wrapper, OptimWrapperDict):
        return [(name, w.optimizer, saved[name]) for name, w in wrapper.items()
                if isinstance(saved.get(name), dict) and 'param_groups' in saved[name]]
    optimizer = getattr(wrapper, 'optimizer', None)
    return [('', optimizer, saved)] if optimizer is not None and 'param_groups' in saved else []


def _schedulers(runner, checkpoint: dict) -> List[Tuple[str, Any, dict]]:
    live, saved = runner.param_schedulers, checkpoint.get('param_schedulers')
    if isinstance(live, dict) and isinstance(saved, dict):
        return [(name, s, c) for name in live for s, c in zip(live[name], saved.get(name, []))]
    if isinstance(live, list) and isinstance(saved, list):
        if len(live) != len(saved):
            raise CheckpointError(
                f'Cannot --resume: the config has {len(live)} param_scheduler(s), the checkpoint '
                f'{len(saved)}; --resume continues the schedule it was saved with. To train with '
                'the new schedule, start a new run from the weights with '
                '`--cfg-options load_from=CHECKPOINT` (without --resume).')
        return [('', s, c) for s, c in zip(live, saved)]
    return []


def reconcile_hyperparameters(checkpoint: dict, runner) -> List[str]:
    """Make the config's optimizer settings win over the checkpoint's, and report every change.

    * ``lr``: the config's base lr replaces the checkpoint's; the position in the schedule is kept
      (the current lr, the schedulers' base values and last values are scaled by new / old base
      lr), so e.g. lowering the lr after a NaN and resuming trains on with the lower lr.
    * ``momentum``, ``weight_decay``, ``nesterov``, ``betas``, ...: the config's values are used.
    * The schedule's shape (``milestones``, ``gamma``, ``T_max``, ...): the checkpoint's values are
      used (mmengine restores the scheduler state; a milestone moved into the past would never
      fire); a scheduler of another type is refused. Its ``end`` (by default ``max_epochs``)
      follows the config, so a run resumed with more epochs keeps being scheduled.

    The checkpoint dict is edited in place before mmengine loads it. Returns one line per
    difference.
    """
    notes: List[str] = []
    ratios: Dict[str, List[float]] = {}
    for name, optimizer, saved in _optimizer_pairs(runner, checkpoint):
        where = f'optimizer {name} ' if name else ''
        groups = saved['param_groups']
        if len(groups) != len(optimizer.param_groups):
            raise CheckpointError(
                f'Cannot --resume: the {where or "optimizer "}has {len(optimizer.param_groups)} '
                f'parameter groups in the config and {len(groups)} in the checkpoint '
                '(paramwise_cfg or the model changed). Start a new run from the weights with '
                '`--cfg-options load_from=CHECKPOINT` (without --resume).')
        ratios[name] = []
        for i, (live, old) in enumerate(zip(optimizer.param_groups, groups)):
            group = f' (group {i})' if len(groups) > 1 else ''
            new_base = live.get('initial_lr', live['lr'])
            old_base = old.get('initial_lr', old['lr'])
            ratio = 1.0
            if not _close(new_base, old_base) and old_base:
                ratio = float(new_base) / float(old_base)
                now = old['lr'] * ratio
                notes.append(f'{where}lr{group}: the config\'s {new_base:g} is used instead of the '
                             f'checkpoint\'s {old_base:g} (current lr {old["lr"]:g} -> {now:g}, '
                             'same position in the schedule)')
                old['lr'] = now
                if 'initial_lr' in old:
                    old['initial_lr'] = new_base
            ratios[name].append(ratio)
            for key in OPTIMIZER_KEYS:
                if key in live and key in old and not _close(live[key], old[key]):
                    notes.append(f'{where}{key}{group}: the config\'s {live[key]} is used instead '
                                 f'of the checkpoint\'s {old[key]}')
                    old[key] = live[key]
    for name, scheduler, saved in _schedulers(runner, checkpoint):
        current = scheduler.state_dict()
        kind = type(scheduler).__name__
        shape_now = set(current) - SCHEDULE_PROGRESS_KEYS
        shape_then = set(saved) - SCHEDULE_PROGRESS_KEYS
        if shape_now != shape_then:
            raise CheckpointError(
                f'Cannot --resume: the config\'s {kind} is not the kind of scheduler the '
                'checkpoint was trained with; --resume continues the schedule it was saved with. '
                'To train with the new schedule, start a new run from the weights with '
                '`--cfg-options load_from=CHECKPOINT` (without --resume).')
        for key in sorted(shape_now):
            if _close(_plain(current[key]), _plain(saved[key])):
                continue
            if key == 'end':  # where scheduling stops: follows max_epochs (training extended)
                notes.append(f'{kind}.end: the config\'s {current[key]} is used instead of the '
                             f'checkpoint\'s {saved[key]}')
                saved[key] = current[key]
            else:
                notes.append(f'{kind}.{key}: the checkpoint\'s {_plain(saved[key])} is used, '
                             f'not the config\'s {_plain(current[key])} (--resume continues '
                             'the saved schedule; start a new run with load_from to change it)')
        group_ratios = ratios.get(name, [])
        if saved.get('param_name') == 'lr' and any(r != 1.0 for r in group_ratios) and \
                len(saved.get('base_values', [])) == len(group_ratios):
            for key in ('base_values', '_last_value'):
                if key in saved:
                    saved[key] = [v * r for v, r in zip(saved[key], group_ratios)]
    return notes


def _plain(value: Any) -> Any:
    """Counters (MultiStepLR milestones) as sorted lists, for comparing and printing."""
    from collections import Counter
    if isinstance(value, Counter):
        return sorted(value.elements())
    return value


def align_sampler_seed(checkpoint: dict, runner) -> Optional[str]:
    """Make the training sampler use the seed the checkpoint's run used.

    mmengine records the run's seed in ``meta['seed']`` (a random one when ``randomness.seed`` is
    ``None``, as shipped) and re-seeds the global generators with it on resume, but the train
    dataloader, built before the checkpoint is read, keeps the new run's seed: another sample
    order and other augmentations. This sets the sampler's (and the worker init function's) seed
    to the checkpoint's. Returns a note when the config asked for another seed.
    """
    import functools
    seed = checkpoint.get('meta', {}).get('seed')
    if seed is None:
        return None
    loader = runner.train_dataloader
    sampler = getattr(loader, 'sampler', None)
    if sampler is not None and hasattr(sampler, 'seed'):
        sampler.seed = int(seed)
    init = getattr(loader, 'worker_init_fn', None)
    if isinstance(init, functools.partial) and 'seed' in init.keywords:
        loader.worker_init_fn = functools.partial(init.func, *init.args,
                                                  **dict(init.keywords, seed=int(seed)))
    wanted = runner._randomness_cfg.get('seed')
    if wanted is not None and int(wanted) != int(seed):
        return (f'randomness.seed: the checkpoint\'s {seed} is used, not the config\'s {wanted} '
                '(resume continues the run\'s random streams)')
    return None
