"""An FFSD run killed with SIGKILL (no clean shutdown) in its second epoch resumes with
``tools/train.py --resume`` and ends bit-identical to an uninterrupted run: every part's weights
and buffers, all six optimizers and their parameter schedulers, the exported leader."""
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from mmkd.utils.checkpoint import safe_load
from tests import _launcher
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import ROOT, assert_equal_trees, run_tool

CONFIG = 'configs/ffsd/resnet20.py'
PARTS = ['student1', 'student2', 'fusion', 'leader', 'decoder_student2', 'decoder_leader']


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_is_bit_exact(tiny_cifar_root, tmp_path):
    opts = TINY + data_opts(tiny_cifar_root) + [
        'train_dataloader.dataset.indices=48',  # 3 iterations per epoch
        'randomness.seed=11',
        'train_cfg.max_epochs=3'
    ]
    straight, killed = str(tmp_path / 'straight'), str(tmp_path / 'killed')
    run_tool(['tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options'] + opts)

    # run_tool's environment and thread count (same reductions as the uninterrupted run)
    env = _launcher.tool_env({'OMP_NUM_THREADS': '1'})
    with open(osp.join(str(tmp_path), 'killed.log'), 'w') as log:
        # forked from the pre-imported tool launcher; SIGKILL by pid as a real process
        proc = _launcher.Popen(
            [sys.executable, 'tools/train.py', CONFIG, '--work-dir', killed, '--cfg-options'] +
            opts,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT)
        deadline = time.time() + 600
        while (proc.poll() is None and time.time() < deadline
               and not osp.exists(osp.join(killed, 'epoch_1.pth'))):
            time.sleep(0.02)
        time.sleep(0.5)  # into epoch 2 (or still writing epoch 1's other files)
        assert proc.poll() is None, 'the run ended before it could be killed'
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not osp.exists(osp.join(killed, 'epoch_3.pth'))
    out = run_tool(['tools/train.py', CONFIG, '--work-dir', killed, '--resume', '--cfg-options'] +
                   opts).stdout
    assert 'resumed epoch: ' in out

    a = safe_load(osp.join(straight, 'epoch_3.pth'))
    b = safe_load(osp.join(killed, 'epoch_3.pth'))
    assert_equal_trees(a['state_dict'], b['state_dict'], 'state_dict')
    assert list(a['optimizer']) == PARTS
    assert_equal_trees(a['optimizer'], b['optimizer'], 'optimizer')
    assert list(a['param_schedulers']) == PARTS
    assert_equal_trees(a['param_schedulers'], b['param_schedulers'], 'param_schedulers')
    assert_equal_trees(
        safe_load(osp.join(straight, 'student_last.pth'))['state_dict'],
        safe_load(osp.join(killed, 'student_last.pth'))['state_dict'], 'student_last')
