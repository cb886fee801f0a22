"""Checkpoints never execute code: a crafted pickle is refused by every tool path."""
import os.path as osp

import pytest
import torch

from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool


class Payload:
    """Unpickling this writes a marker file (stands in for arbitrary code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


@pytest.fixture
def evil_checkpoint(tmp_path):
    marker = str(tmp_path / 'code_ran.txt')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': {'x': Payload(marker)}}, path)
    return path, marker


def test_safe_load_refuses_and_explains(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(CheckpointError, match='trust_checkpoint.py'):
        safe_load(path)
    assert not osp.exists(marker)


def test_safe_load_accepts_mmengine_state(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    path = str(tmp_path / 'ok.pth')
    torch.save(
        {
            'message_hub': {
                'log_scalars': {
                    'loss': buf
                }
            },
            'meta': {
                'eta': np.float64(1.0),
                'arr': np.arange(3)
            }
        }, path)
    loaded = safe_load(path)
    assert loaded['message_hub']['log_scalars']['loss'].current() == 1.5


@pytest.mark.parametrize('route', ['test', 'resume', 'teacher'])
def test_tools_refuse_crafted_checkpoint(evil_checkpoint, tiny_cifar_root, tmp_path, route):
    path, marker = evil_checkpoint
    opts = TINY + data_opts(tiny_cifar_root)
    if route == 'test':
        args = [
            'tools/test.py', 'configs/baselines/resnet8_cifar100.py', path, '--work-dir',
            str(tmp_path / 'w'), '--cfg-options'
        ] + opts
    elif route == 'resume':
        args = [
            'tools/train.py', 'configs/baselines/resnet8_cifar100.py', '--work-dir',
            str(tmp_path / 'w'), '--resume', path, '--cfg-options'
        ] + opts
    else:
        args = [
            'tools/train.py', 'configs/kd/resnet56_resnet20.py', '--work-dir',
            str(tmp_path / 'w'), '--cfg-options', f'model.teacher_ckpt={path}'
        ] + opts
    proc = run_tool(args, check=False)
    assert proc.returncode == 1
    assert 'mmkd error: Refused to load' in proc.stdout
    assert 'Traceback' not in proc.stdout
    assert not osp.exists(marker), 'code in the checkpoint ran'
