"""A run killed with SIGKILL at random moments (mid-iteration, mid-validation, mid-save) resumes
each time and ends bit-identical, with the same best checkpoint as an uninterrupted run; an
interrupted save never replaces the previous checkpoint."""
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

import mmkd.utils.atomic as atomic
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.resume import find_resumable_checkpoint
from tests import _launcher
from tests.reliability.test_exact_resume import LOADER, assert_identical
from tests.tools.test_train_resume_test import data_opts
from tests.utils import ROOT, run_tool

CONFIG = 'configs/baselines/resnet8_cifar100.py'


def best_checkpoints(work_dir):
    return sorted(osp.basename(p) for p in os.listdir(work_dir) if p.startswith('best_'))


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tiny_cifar_root, tmp_path):
    opts = LOADER + data_opts(tiny_cifar_root) + [
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=6'
    ]
    straight, killed = str(tmp_path / 'straight'), str(tmp_path / 'killed')
    run_tool(['tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options'] + opts)
    epoch_time = (
        osp.getmtime(osp.join(straight, 'epoch_6.pth')) -
        osp.getmtime(osp.join(straight, 'epoch_5.pth')))

    # same thread count as run_tool: CPU kernels reduce in a thread-count-dependent order
    # run_tool's environment and thread count (same reductions as the uninterrupted run)
    env = _launcher.tool_env({'OMP_NUM_THREADS': '1'})
    rng = random.Random(1234)
    kills = 0
    for attempt in range(16):
        log = open(osp.join(str(tmp_path), f'attempt_{attempt}.log'), 'w')
        proc = _launcher.Popen(  # forked from the pre-imported launcher; SIGKILL by pid as before
            [
                sys.executable, 'tools/train.py', CONFIG, '--work-dir', killed, '--resume',
                '--cfg-options'
            ] + opts,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT)
        # the first four attempts are killed at a random moment after the next epoch checkpoint
        # appears: every other one within the first quarter of an epoch (during the validation,
        # the best checkpoint's save and the epoch checkpoint's re-save), the others anywhere in
        # the epoch (mid-iteration too); the last attempt finishes
        if kills < 4:
            latest = find_resumable_checkpoint(killed)
            done = int(latest.rsplit('_', 1)[1].split('.')[0]) if latest else 0
            target = osp.join(killed, f'epoch_{done + 1}.pth')
            while proc.poll() is None and not osp.exists(target):
                time.sleep(0.02)
            share = 0.25 if kills % 2 == 0 else 1.0
            deadline = time.time() + rng.uniform(0.0, share) * epoch_time
        else:
            deadline = time.time() + 600
        while proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        assert proc.returncode == 0
        break
    assert kills == 4, 'the run was not interrupted four times'
    assert osp.isfile(osp.join(killed, 'epoch_6.pth'))
    assert_identical(
        safe_load(osp.join(straight, 'epoch_6.pth'))['state_dict'],
        safe_load(osp.join(killed, 'epoch_6.pth'))['state_dict'])
    best = best_checkpoints(straight)
    assert len(best) == 1 and best_checkpoints(killed) == best
    assert_identical(
        safe_load(osp.join(straight, best[0]))['state_dict'],
        safe_load(osp.join(killed, best[0]))['state_dict'])
    assert [p for p in os.listdir(killed) if p.endswith('.tmp')] == []  # removed by the next run


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_1.pth')
    atomic.atomic_torch_save({'state_dict': {'w': torch.ones(3)}}, path)

    def disk_full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(atomic.os, 'fsync', disk_full)
    with pytest.raises(OSError):
        atomic.atomic_torch_save({'state_dict': {'w': torch.zeros(3)}}, path)
    assert torch.equal(safe_load(path)['state_dict']['w'], torch.ones(3))
    assert os.listdir(tmp_path) == ['epoch_1.pth'], 'a temporary file was left behind'


def test_resume_auto_skips_truncated_and_dangling_checkpoints(tmp_path):
    good = str(tmp_path / 'epoch_1.pth')
    atomic.atomic_torch_save({'state_dict': {}}, good)
    atomic.atomic_torch_save({'state_dict': {}}, str(tmp_path / 'epoch_2.pth'))
    with open(tmp_path / 'epoch_2.pth', 'r+b') as f:  # e.g. a copy cut short by a full disk
        f.truncate(30)
    (tmp_path / '.epoch_3.pth.abc.tmp').write_bytes(b'partial')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == good
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_9.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == good
