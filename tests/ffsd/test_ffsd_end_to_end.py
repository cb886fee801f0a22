"""FFSD through the real tools on generated CIFAR-100: train, stop, --resume (bit-exact for every
part, optimizer and scheduler), the exported leader, tools/test.py on both files, and the
converter for FFSD's released checkpoints."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmkd.models.utils.reference_converter import convert_checkpoint
from mmkd.registry import MODELS
from mmkd.utils.checkpoint import safe_load
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import assert_equal_trees, run_tool

CONFIG = 'configs/ffsd/resnet20.py'
SMALL = ['train_dataloader.dataset.indices=32', 'randomness.seed=5']


@pytest.mark.slow
def test_train_stop_resume_is_bit_exact_and_tools_test_both_files(tiny_cifar_root, tmp_path):
    opts = TINY + data_opts(tiny_cifar_root) + SMALL
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    train = ['tools/train.py', CONFIG, '--work-dir']
    run_tool(train + [straight, '--cfg-options'] + opts + ['train_cfg.max_epochs=2'])
    # stop after epoch 1 = continue a second run from the first run's epoch-1 checkpoint
    out = run_tool(
        train +
        [split, '--resume', osp.join(straight, 'epoch_1.pth'), '--cfg-options'] + opts +
        ['train_cfg.max_epochs=2']).stdout
    assert 'resumed epoch: 1' in out
    a = safe_load(osp.join(straight, 'epoch_2.pth'))
    b = safe_load(osp.join(split, 'epoch_2.pth'))
    assert_equal_trees(a['state_dict'], b['state_dict'], 'state_dict')
    parts = ['student1', 'student2', 'fusion', 'leader', 'decoder_student2', 'decoder_leader']
    assert list(a['optimizer']) == parts  # one optimizer state per part
    assert_equal_trees(a['optimizer'], b['optimizer'], 'optimizer')
    assert list(a['param_schedulers']) == parts
    assert_equal_trees(a['param_schedulers'], b['param_schedulers'], 'param_schedulers')
    for name in parts:
        assert a['param_schedulers'][name][0]['_last_value'] == [1e-3 if 'decoder' in name else 0.1]
    logs = open(sorted(__import__('glob').glob(osp.join(straight, '*', '*.log')))[-1]).read()
    for term in ('student1.loss_dml', 'student2.loss_diversity', 'student2.loss_shift_sd',
                 'fusion.loss_kd', 'leader.loss_trans_fusion', 'decoder_leader.loss_att',
                 'leader/top1', 'student2/top1', 'fusion/top1', 'students_any_correct/top1'):
        assert term in logs, term

    # the leader is the product: student_last.pth loads strictly into the plain leader config
    student = safe_load(osp.join(straight, 'student_last.pth'))['state_dict']
    leader = {k[len('leader.'):]: v for k, v in a['state_dict'].items() if k.startswith('leader.')}
    assert_equal_trees(student, leader, 'student_last')
    plain = MODELS.build(Config.fromfile('configs/ffsd/eval/resnet20_leader.py').model)
    plain.load_state_dict(student, strict=True)

    test_opts = TINY + data_opts(tiny_cifar_root)
    out_plain = run_tool([
        'tools/test.py', 'configs/ffsd/eval/resnet20_leader.py',
        osp.join(straight, 'student_last.pth'), '--work-dir',
        str(tmp_path / 't1'), '--cfg-options'
    ] + test_opts).stdout
    out_full = run_tool([
        'tools/test.py', CONFIG,
        osp.join(straight, 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 't2'), '--cfg-options'
    ] + test_opts).stdout
    top1 = re.search(r'^accuracy/top1: (\d+\.\d\d)$', out_plain, re.M).group(1)
    assert re.search(rf'^accuracy/top1: {top1}$', out_full, re.M)  # the same leader
    assert re.search(r'^leader/top1: ', out_full, re.M)
    assert re.search(r'^students_mean/top1: ', out_full, re.M)


@pytest.mark.slow
def test_bad_optimizer_config_is_one_message(tiny_cifar_root, tmp_path):
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir',
         str(tmp_path), '--cfg-options'] + TINY + data_opts(tiny_cifar_root) +
        ['optim_wrapper.fusion=None'],
        check=False)
    assert proc.returncode == 1
    assert 'mmkd error: optim_wrapper.fusion must be a dict with an `optimizer`' in proc.stdout
    assert 'Traceback' not in proc.stdout


def _reference_leader_checkpoint(path, arch='resnet20', classifier='fc.'):
    """A checkpoint as SJLeo/FFSD save_models writes it for the leader: {'weight': the
    reference network's state dict (conv1, layer*, fc, trans_fusion_module.*), 'epoch', 'cfg',
    'index'}."""
    model = MODELS.build(Config.fromfile(f'configs/_base_/models/ffsd/{arch}_leader.py').model)
    weight = {}
    for key, value in model.state_dict().items():
        if key.startswith('backbone.'):
            weight[key[len('backbone.'):]] = value
        elif key.startswith('head.fc.'):
            weight[classifier + key[len('head.fc.'):]] = value
        else:
            weight[key] = value
    assert any(k.startswith('trans_fusion_module.') for k in weight)
    torch.save(dict(weight=weight, epoch=287, cfg=arch, index='leader'), path)
    return model


def test_convert_reference_ffsd_layout(tmp_path):
    src = str(tmp_path / 'modelleader_best.pth')
    model = _reference_leader_checkpoint(src)
    dst = str(tmp_path / 'leader.pth')
    meta = convert_checkpoint(src, dst, 'ffsd', 'configs/_base_/models/ffsd/resnet20_leader.py')
    assert meta['source_meta'] == dict(epoch=287, cfg='resnet20', index='leader')
    converted = safe_load(dst)['state_dict']
    assert_equal_trees(converted, dict(model.state_dict()), 'converted')
    # into a common-student config the trans-fusion head is dropped
    convert_checkpoint(src, str(tmp_path / 's.pth'), 'ffsd',
                       'configs/_base_/models/ffsd/resnet20.py')
    assert not any(
        k.startswith('trans_fusion_module.')
        for k in safe_load(str(tmp_path / 's.pth'))['state_dict'])
    from mmkd.utils.errors import CheckpointError
    with pytest.raises(CheckpointError, match='Missing keys'):
        convert_checkpoint(src, str(tmp_path / 'x.pth'), 'ffsd',
                           'configs/_base_/models/ffsd/resnet32_leader.py')


def test_convert_reference_ffsd_wrn_leader(tmp_path):
    """FFSD's WRN names its classifier ``linear`` (models/wideresnet_cifar.py)."""
    src = str(tmp_path / 'modelleader_best.pth')
    model = _reference_leader_checkpoint(src, 'wrn16_2', classifier='linear.')
    dst = str(tmp_path / 'leader.pth')
    convert_checkpoint(src, dst, 'ffsd', 'configs/_base_/models/ffsd/wrn16_2_leader.py')
    assert_equal_trees(safe_load(dst)['state_dict'], dict(model.state_dict()), 'converted')
