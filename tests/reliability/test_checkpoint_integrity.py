"""Checkpoint integrity through mmengine's own CheckpointHook and tools/train.py: atomic saves,
a best checkpoint that is never lost, validations cut short, student_best.pth, the work-dir lock."""
import glob
import os
import os.path as osp
import resource
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

import mmkd.utils.atomic as atomic
from mmkd.utils.checkpoint import safe_load
from tests import _launcher
from tests.reliability.test_exact_resume import LOADER
from tests.tools.test_train_resume_test import data_opts
from tests.utils import ROOT, run_tool

CONFIG = 'configs/baselines/resnet8_cifar100.py'
KD = 'configs/kd/resnet56_resnet20.py'
SMALL_KD = [
    'model.teacher=configs/_base_/models/resnet8.py',
    'model.student=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None'
]
ITERS_PER_EPOCH = 13  # 200 tiny CIFAR-100 training images, batch 16


def opts(root):
    return LOADER + data_opts(root) + [
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False'
    ]


def train(config, work, root, *extra, resume=False):
    return (
        ['tools/train.py', config, '--work-dir', str(work)] + (['--resume'] if resume else []) +
        ['--cfg-options'] + opts(root) + list(extra))


def in_process_runner(root, work, max_epochs):
    cfg = Config.fromfile(CONFIG)
    for item in opts(root) + [f'train_cfg.max_epochs={max_epochs}']:
        key, value = item.split('=', 1)
        cfg.merge_from_dict({key: DictAction._parse_iterable(value)})
    cfg.work_dir = str(work)
    return Runner.from_cfg(cfg)


def checkpoint_hook(runner) -> CheckpointHook:
    return next(h for h in runner.hooks if isinstance(h, CheckpointHook))


def tmp_files(folder):
    return [p for p in glob.glob(osp.join(str(folder), '**', '.*.tmp'), recursive=True)]


def test_checkpoint_hook_saves_atomically(tiny_cifar_root, tmp_path, monkeypatch):
    """mmengine's CheckpointHook (plain paths resolve through the fileio prefix map) writes
    through mmkd's atomic backend: a full disk during its in-place re-save of epoch_1.pth (what it
    does after a new best) leaves the complete file, and no temporary file."""
    runner = in_process_runner(tiny_cifar_root, tmp_path, max_epochs=1)
    runner.train()
    hook = checkpoint_hook(runner)
    assert getattr(type(hook.file_backend), 'mmkd_atomic', False), type(hook.file_backend)
    path = tmp_path / 'epoch_1.pth'
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(atomic.os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space left'):
        hook._save_checkpoint_with_step(runner, 1, meta=dict(epoch=1, iter=runner.iter))
    assert path.read_bytes() == before
    assert tmp_files(tmp_path) == []
    assert safe_load(str(path))['meta']['epoch'] == 1


def test_new_best_is_written_before_the_old_one_is_removed(tiny_cifar_root, tmp_path):
    runner = in_process_runner(tiny_cifar_root, tmp_path, max_epochs=1)
    runner.train()
    hook = checkpoint_hook(runner)
    old = tmp_path / 'best_accuracy_top1_epoch_1.pth'
    assert old.is_file()
    runner.train_loop._epoch = 2  # as if epoch 2 had been trained
    save = runner.save_checkpoint

    def killed_while_saving_the_best(out_dir, filename, *args, **kwargs):
        if filename.startswith('best_'):
            raise KeyboardInterrupt('killed during the save of the new best')
        return save(out_dir, filename, *args, **kwargs)

    runner.save_checkpoint = killed_while_saving_the_best
    better = {'accuracy/top1': 1000.0, 'accuracy/top5': 1000.0}
    with pytest.raises(KeyboardInterrupt):
        hook.after_val_epoch(runner, better)
    assert old.is_file(), 'the previous best was removed before the new one was written'
    runner.save_checkpoint = save
    hook.after_val_epoch(runner, {k: 2 * v for k, v in better.items()})  # the killed one counted
    assert sorted(p.name for p in tmp_path.glob('best_*.pth')) == ['best_accuracy_top1_epoch_2.pth']
    assert safe_load(str(tmp_path / 'best_accuracy_top1_epoch_2.pth'))['meta']['epoch'] == 2


@pytest.mark.slow
def test_full_disk_during_a_save_through_train_tool(tiny_cifar_root, tmp_path):
    work = tmp_path / 'w'
    run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=1'))
    before = (work / 'epoch_1.pth').read_bytes()
    limit = len(before) // 2  # the next checkpoint does not fit: like a full disk

    # forked from the tool launcher with a file-size limit (python ignores SIGXFSZ: a write past
    # the limit fails with EFBIG, "File too large")
    proc = _launcher.run(
        [sys.executable] +
        train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=2', resume=True),
        cwd=ROOT,
        env=_launcher.tool_env(),
        rlimits={resource.RLIMIT_FSIZE: (limit, limit)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600)
    assert proc.returncode != 0 and 'File too large' in proc.stdout, proc.stdout[-3000:]
    assert not (work / 'epoch_2.pth').exists(), 'a truncated checkpoint under the final name'
    assert (work / 'epoch_1.pth').read_bytes() == before
    assert (work / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')
    assert tmp_files(work) == []
    run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=2', resume=True))
    assert safe_load(str(work / 'epoch_2.pth'))['meta']['epoch'] == 2


def scripted_config(tmp_path, scores, kill_at_epoch=0):
    """The KD config with a validation score scripted per epoch (tests/reliability/
    scripted_metric.py), so that the test decides which epoch is the best."""
    path = tmp_path / 'scripted_kd.py'
    path.write_text(
        f"_base_ = [{osp.join(ROOT, KD)!r}]\n"
        "custom_imports = dict(imports=['mmkd.utils.setup_env', "
        "'tests.reliability.scripted_metric'], allow_failed_imports=False)\n"
        f"val_evaluator = dict(_delete_=True, type='ScriptedScoreMetric', scores={scores!r}, "
        f"iters_per_epoch={ITERS_PER_EPOCH}, kill_at_epoch={kill_at_epoch}, "
        f"kill_marker={str(tmp_path / 'killed')!r})\n"
        "default_hooks = dict(checkpoint=dict(save_best='score', rule='greater'))\n")
    return str(path)


def student_of(full_state):
    return {k[len('student.'):]: v for k, v in full_state.items() if k.startswith('student.')}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f'{key} differs'


@pytest.mark.slow
def test_student_best_is_the_student_of_best_after_a_resume(tiny_cifar_root, tmp_path):
    """Epoch 1 is the best; the run stops, resumes and trains epochs 2-3 without a new best:
    student_best.pth stays the student of best_score_epoch_1.pth (not the current student)."""
    cfg, work = scripted_config(tmp_path, [5, 3, 1]), tmp_path / 'w'
    run_tool(train(cfg, work, tiny_cifar_root, *SMALL_KD, 'train_cfg.max_epochs=1'))
    run_tool(train(cfg, work, tiny_cifar_root, *SMALL_KD, 'train_cfg.max_epochs=3', resume=True))
    assert sorted(p.name for p in work.glob('best_*.pth')) == ['best_score_epoch_1.pth']
    best = student_of(safe_load(str(work / 'best_score_epoch_1.pth'))['state_dict'])
    student_best = safe_load(str(work / 'student_best.pth'))
    assert_same(student_best['state_dict'], best)
    assert student_best['meta']['source_checkpoint'].endswith('best_score_epoch_1.pth')
    last = student_of(safe_load(str(work / 'epoch_3.pth'))['state_dict'])
    assert any(not torch.equal(last[k], best[k]) for k in best), 'the student did not train'
    assert_same(safe_load(str(work / 'student_last.pth'))['state_dict'], last)


@pytest.mark.slow
def test_epoch_killed_during_validation_is_validated_on_resume(tiny_cifar_root, tmp_path):
    """Epoch 2 is the best of an uninterrupted run; the run is SIGKILLed during epoch 2's
    validation. The resumed run validates epoch 2 first, so the best is the same."""
    cfg, work = scripted_config(tmp_path, [1, 5, 3], kill_at_epoch=2), tmp_path / 'w'
    args = train(cfg, work, tiny_cifar_root, *SMALL_KD, 'train_cfg.max_epochs=3')
    killed = run_tool(args, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-3000:]
    assert (work / 'epoch_2.pth').is_file() and (tmp_path / 'killed').is_file()
    out = run_tool(args[:4] + ['--resume'] + args[4:]).stdout
    assert 'validating it before training on' in out
    assert sorted(p.name for p in work.glob('best_*.pth')) == ['best_score_epoch_2.pth']
    best = safe_load(str(work / 'best_score_epoch_2.pth'))['state_dict']
    assert_same(best, safe_load(str(work / 'epoch_2.pth'))['state_dict'])
    assert_same(safe_load(str(work / 'student_best.pth'))['state_dict'], student_of(best))


@pytest.mark.slow
def test_second_run_in_a_work_dir_is_refused_until_the_first_dies(tiny_cifar_root, tmp_path):
    work = tmp_path / 'w'
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    holder = subprocess.Popen([
        sys.executable, '-c', 'import sys, time\nfrom mmkd.utils.work_dir_lock import '
        'lock_work_dir\nlock_work_dir(sys.argv[1])\nprint("locked", flush=True)\n'
        'time.sleep(600)',
        str(work)
    ],
                              cwd=ROOT,
                              env=env,
                              stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        proc = run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=1'), check=False)
        assert proc.returncode == 1, proc.stdout[-3000:]
        message = proc.stdout.split('mmkd error:', 1)[1]
        assert 'in use by another training run' in message and f'pid {holder.pid}' in message
        assert not list(work.glob('*.pth'))
    finally:
        holder.send_signal(signal.SIGKILL)  # a crashed run: the kernel releases its lock
        holder.wait()
    stale = work / '.epoch_1.pth.abcd1234.tmp'  # left by a save killed earlier
    stale.write_bytes(b'partial')
    out = run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=1')).stdout
    assert not stale.exists() and 'interrupted' in out
    assert (work / 'epoch_1.pth').is_file()


def test_lock_is_released_when_its_holder_is_killed(tmp_path):
    from mmkd.utils.work_dir_lock import WorkDirBusyError, lock_work_dir, unlock_work_dir
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    holder = subprocess.Popen([
        sys.executable, '-c', 'import sys, time\nfrom mmkd.utils.work_dir_lock import '
        'lock_work_dir\nlock_work_dir(sys.argv[1])\nprint("locked", flush=True)\n'
        'time.sleep(600)',
        str(tmp_path)
    ],
                              cwd=ROOT,
                              env=env,
                              stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        with pytest.raises(WorkDirBusyError, match=f'pid {holder.pid}'):
            lock_work_dir(str(tmp_path))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_work_dir(str(tmp_path)) is True  # the kernel dropped the dead holder's lock
    assert lock_work_dir(str(tmp_path)) is False  # held by this process already
    unlock_work_dir(str(tmp_path))
