"""The frozen-network service and the one state-dict diff (issue 11 §1)."""
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmkd.models.utils.frozen import (FrozenNetworkOwner, build_frozen_network, freeze, is_frozen,
                                      load_strict)
from mmkd.models.utils.model_config import resolve_config_path
from mmkd.models.utils.state_dict import state_dict_diff
from mmkd.registry import MODELS
from mmkd.utils.atomic import atomic_torch_save
from mmkd.utils.errors import CheckpointError, ConfigError
from tests.utils import ROOT


def test_state_dict_diff_names_every_kind_of_mismatch():
    target = {'a': torch.zeros(2), 'b': torch.zeros(3, 4), 'c': torch.zeros(1)}
    state = {'a': torch.zeros(2), 'b': torch.zeros(4, 3), 'd': torch.zeros(1)}
    diff = state_dict_diff(state, target)
    assert not diff.ok
    assert diff.missing == ['c'] and diff.unexpected == ['d']
    assert diff.mismatched == ['b (4, 3) vs (3, 4)']
    assert diff.describe() == ('Missing keys (1): c. Unexpected keys (1): d. '
                               'Shape mismatches (1): b (4, 3) vs (3, 4).')
    many = state_dict_diff({}, {f'k{i}': torch.zeros(1) for i in range(9)})
    assert many.describe(limit=2) == 'Missing keys (9): k0, k1 (+7 more).'
    assert state_dict_diff(target, target).ok


class _Owner(FrozenNetworkOwner, nn.Module):

    def __init__(self):
        super().__init__()
        self.trained = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
        self.frozen = freeze(nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4), nn.Dropout()))


def test_owner_keeps_frozen_networks_in_eval():
    owner = _Owner()
    assert is_frozen(owner.frozen) and owner.frozen.is_init
    owner.train()
    assert all(m.training for m in owner.trained.modules())
    assert not any(m.training for m in owner.frozen.modules())
    assert not any(p.requires_grad for p in owner.frozen.parameters())
    before = owner.frozen[1].running_mean.clone()
    owner.frozen(torch.randn(2, 3, 4, 4) + 5)
    assert torch.equal(owner.frozen[1].running_mean, before)  # BN statistics never change
    owner.eval()
    owner.train(True)
    assert not owner.frozen.training


def test_load_strict_part_of_a_model(tmp_path):
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 3))
    path = str(tmp_path / 'part.pth')
    atomic_torch_save({'state_dict': {'0.weight': torch.ones(2, 2), '0.bias': torch.ones(2)}}, path)
    target = {k: v for k, v in net.state_dict().items() if k.startswith('0.')}
    kept = net[1].weight.clone()
    load_strict(net, path, 'backbone', target=target)
    assert torch.equal(net[0].weight, torch.ones(2, 2)) and torch.equal(net[1].weight, kept)
    with pytest.raises(
            CheckpointError,
            match=r'does not fit the backbone config\. Missing keys'
            r' \(2\): 1\.weight, 1\.bias\. HINT'):
        load_strict(net, path, 'backbone', fit_hint='HINT')
    with pytest.raises(CheckpointError, match=r'^Backbone checkpoint .* does not exist\. GET IT'):
        load_strict(net, str(tmp_path / 'none.pth'), 'backbone', missing_hint='GET IT')


def test_build_frozen_network_checks_before_loading(tmp_path):
    student = MODELS.build(Config.fromfile(f'{ROOT}/configs/_base_/models/resnet8.py').model)
    path = str(tmp_path / 'teacher.pth')
    atomic_torch_save({'state_dict': student.state_dict()}, path)
    teacher = build_frozen_network(
        'configs/_base_/models/resnet8.py', path, same_classes_as=student)
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, student.state_dict()[k])
    assert is_frozen(teacher) and not teacher.training
    with pytest.raises(ConfigError, match='teacher predicts 10 classes but the student 100'):
        build_frozen_network(
            dict(cfg_path='configs/_base_/models/resnet8.py', head=dict(num_classes=10)),
            path,
            same_classes_as=student)
    with pytest.warns(UserWarning, match='the TEACHER IS UNTRAINED'):
        build_frozen_network('configs/_base_/models/resnet8.py', owner='X')


def test_mmpretrain_config_paths_resolve():
    path = resolve_config_path('mmpretrain::resnet/resnet18_8xb32_in1k.py')
    assert path.endswith('resnet/resnet18_8xb32_in1k.py')
    with pytest.raises(ConfigError, match='not found'):
        resolve_config_path('mmpretrain::resnet/resnet9_nothing.py')


#: one interpreter imports what mmkd builds on (not mmkd), then forks one child per module: each
#: child is the first to import anything of mmkd, as a fresh interpreter importing that module
IMPORT_ALONE = '''
import importlib, os, sys, traceback
import mmcv, mmengine.runner, mmpretrain.models, torch  # noqa: F401  (mmkd's dependencies)
assert not any(m.split('.')[0] == 'mmkd' for m in sys.modules)
failed = []
for module in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            importlib.import_module(module)
            from mmkd.models.utils.reference_layouts import LAYOUTS
            assert 'hsakd' in LAYOUTS, list(LAYOUTS)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stderr.flush()
        os._exit(code)
    if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0:
        failed.append(module)
sys.exit(f'failed: {failed}' if failed else 0)
'''


@pytest.mark.slow
def test_converter_modules_import_alone_and_layouts_register_themselves():
    """No import cycle: each module imports first of mmkd's (in a fresh process that holds only
    mmkd's dependencies), and the hsakd layout (defined in its own module) is registered
    whichever module is imported first."""
    modules = ('mmkd.models.utils.reference_converter', 'mmkd.models.utils.hsakd_converter',
               'mmkd.models.utils.state_dict', 'mmkd.engine.hooks.checkpoint_compatibility_hook',
               'mmkd.models.distillers.single_teacher')
    result = subprocess.run([sys.executable, '-c', IMPORT_ALONE, *modules],
                            cwd=ROOT,
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-4000:]
