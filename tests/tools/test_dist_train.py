"""tools/dist_train.sh with 2 CPU processes (torchrun, gloo) reaches the same place as 1 process."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from mmkd.utils.checkpoint import safe_load
from tests.utils import ROOT
from tests.tools.test_train_resume_test import TINY, data_opts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_train(config, work, opts, nproc=2):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(['bash', 'tools/dist_train.sh', config, str(nproc), '--work-dir', work,
                           '--cfg-options'] + opts, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def test_dist_train_baseline_and_distiller_two_processes(tiny_cifar_root, tmp_path):
    work = str(tmp_path / 'kd')
    opts = TINY + data_opts(tiny_cifar_root) + [
        'train_cfg.max_epochs=1', 'model.teacher=configs/_base_/models/resnet8.py',
        'model.teacher_ckpt=None', 'model.student=configs/_base_/models/resnet8.py']
    dist_train('configs/kd/resnet56_resnet20.py', work, opts)
    ckpt = safe_load(osp.join(work, 'epoch_1.pth'))
    # 200 images, 16 per process and step, 2 processes -> 7 iterations per epoch
    assert ckpt['meta']['iter'] == 7
    assert osp.isfile(osp.join(work, 'student_last.pth'))
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())


def test_dist_train_baseline_two_processes(tiny_cifar_root, tmp_path):
    work = str(tmp_path / 'base')
    dist_train('configs/baselines/resnet8_cifar100.py', work,
               TINY + data_opts(tiny_cifar_root) + ['train_cfg.max_epochs=1'])
    assert safe_load(osp.join(work, 'epoch_1.pth'))['meta']['iter'] == 7
