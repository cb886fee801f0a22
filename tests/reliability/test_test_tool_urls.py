"""tools/test.py takes a checkpoint by URL through the safe remote loader (and refuses code)."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmkd.registry import MODELS
from tests.reliability.test_code_execution import URL, evil_checkpoint
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool

CONFIG = 'configs/baselines/resnet8_cifar100.py'


def _test(tmp_path, tiny_cifar_root):
    return run_tool(
        ['tools/test.py', CONFIG, URL, '--work-dir',
         str(tmp_path / 'w'), '--cfg-options'] + TINY + data_opts(tiny_cifar_root),
        check=False,
        env={'TORCH_HOME': str(tmp_path / 'torch_home')})


@pytest.mark.slow
def test_url_checkpoint_is_evaluated_and_a_payload_refused(tiny_cifar_root, tmp_path):
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    marker = tmp_path / 'code_ran'
    evil_checkpoint(cache / osp.basename(URL), marker)
    bad = _test(tmp_path, tiny_cifar_root)
    assert bad.returncode == 1 and 'Refused to load' in bad.stdout, bad.stdout[-3000:]
    assert 'does not exist' not in bad.stdout and not marker.exists()

    model = MODELS.build(Config.fromfile(CONFIG).model)
    torch.save({'state_dict': model.state_dict()}, str(cache / osp.basename(URL)))
    good = _test(tmp_path, tiny_cifar_root)
    assert good.returncode == 0, good.stdout[-3000:]
    record = json.load(open(tmp_path / 'w' / 'resnet8_cifar100.metrics.json'))
    assert record['checkpoint'] == URL and 'accuracy/top1' in record['metrics']
