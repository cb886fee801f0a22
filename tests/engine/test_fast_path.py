"""The opt-in fast path (--device-aug, --channels-last, --compile, --amp dtype) on CPU."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmkd.engine.hooks import ChannelsLastHook
from mmkd.engine.hooks.compile_hook import compiled_or_eager, networks_of
from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool

SMALL_KD = [
    'model.teacher=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
    'model.student=configs/_base_/models/resnet8.py'
]


def _kd_model():
    cfg = Config.fromfile('configs/kd/resnet56_resnet20.py')
    cfg.model.teacher = cfg.model.student = 'configs/_base_/models/resnet8.py'
    cfg.model.teacher_ckpt = None
    cfg.model.data_preprocessor = dict(cfg.data_preprocessor)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def test_channels_last_hook_changes_layout_not_values():
    model = _kd_model().eval()
    x = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    before = model(**model.data_preprocessor(dict(inputs=list(x)), False), mode='tensor')
    ChannelsLastHook().before_train(SimpleNamespace(model=model))
    ChannelsLastHook().before_test(SimpleNamespace(model=model))  # idempotent
    conv = model.student.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    data = model.data_preprocessor(dict(inputs=list(x)), False)
    assert data['inputs'].is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(model(**data, mode='tensor'), before, rtol=1e-4, atol=1e-5)


def test_compile_falls_back_to_eager_with_a_message():

    def double(x):
        return 2 * x

    with pytest.warns(UserWarning, match='f runs eagerly'):
        assert compiled_or_eager(double, 'f', backend='no_such_backend') is double

    def broken_backend(gm, example_inputs):
        raise RuntimeError('backend exploded')

    fn = compiled_or_eager(double, 'g', backend=broken_backend)
    with pytest.warns(UserWarning, match='compiling g failed, it runs eagerly'):
        assert torch.equal(fn(torch.ones(2)), torch.full((2, ), 2.))
    assert torch.equal(fn(torch.ones(3)), torch.full((3, ), 2.))


def test_compiled_networks_give_eager_outputs():
    model = _kd_model().eval()
    assert [n for n, _ in networks_of(model)] == ['student', 'teacher']
    x = torch.randn(2, 3, 32, 32)
    expected = model.student.backbone.forward_features(x).final
    compiled = compiled_or_eager(model.student.backbone.forward_features, 's', backend='eager')
    torch.testing.assert_close(compiled(x).final, expected)


@pytest.mark.slow
def test_device_aug_trains_bit_identically_and_fast_path_runs(tiny_cifar_root, tmp_path):
    opts = TINY + data_opts(tiny_cifar_root) + SMALL_KD + [
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=48'
    ]
    states = {}
    for name, flags in (('plain', []), ('device', ['--device-aug']),
                        ('all', ['--device-aug', '--channels-last', '--compile'])):
        work = str(tmp_path / name)
        run_tool(['tools/train.py', 'configs/kd/resnet56_resnet20.py', '--work-dir', work] + flags +
                 ['--cfg-options'] + opts)
        states[name] = safe_load(osp.join(work, 'epoch_1.pth'))['state_dict']
    for key, value in states['plain'].items():
        assert torch.equal(value, states['device'][key]), key  # the same images, bit for bit
        if value.is_floating_point():  # another memory layout / compiled kernels: float noise
            torch.testing.assert_close(states['all'][key], value, rtol=1e-3, atol=1e-4)
