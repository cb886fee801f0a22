"""Bad input through the real tools: one message naming the problem and the fix, nothing lost."""
import os
import os.path as osp
import shutil

import pytest

from mmkd.datasets import write_tiny_cifar
from mmkd.utils.checkpoint import safe_load
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool

KD = 'configs/kd/resnet56_resnet20.py'
SMALL_KD = ['model.teacher=configs/_base_/models/resnet8.py',
            'model.student=configs/_base_/models/resnet8.py']


def fails_with(args, *fragments):
    proc = run_tool(args, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert 'mmkd error:' in proc.stdout, proc.stdout[-3000:]
    assert 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    message = proc.stdout.split('mmkd error:', 1)[1]
    for fragment in fragments:
        assert fragment in message, f'{fragment!r} not in {message!r}'
    return message


def train(config, work, *opts):
    return ['tools/train.py', config, '--work-dir', str(work), '--cfg-options'] + TINY + list(opts)


def test_missing_dataset(tmp_path):
    root = tmp_path / 'cifar100'
    fails_with(train('configs/baselines/resnet8_cifar100.py', tmp_path / 'w',
                     *data_opts(root), 'train_dataloader.dataset.download=False'),
               'cifar-100-python.tar.gz', str(root))


def test_corrupted_dataset_file(tmp_path):
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    with open(osp.join(folder, 'train'), 'r+b') as f:
        f.truncate(50)
    fails_with(train('configs/baselines/resnet8_cifar100.py', tmp_path / 'w',
                     *data_opts(tmp_path)), 'cannot be read', 'corrupted')


def test_missing_teacher_checkpoint(tiny_cifar_root, tmp_path):
    fails_with(train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root),
                     f'model.teacher_ckpt={tmp_path}/none.pth'),
               'Teacher checkpoint', 'does not exist', 'configs/baselines')


@pytest.fixture(scope='module')
def resnet8_ckpt(tiny_cifar_root, tmp_path_factory):
    work = tmp_path_factory.mktemp('r8')
    run_tool(train('configs/baselines/resnet8_cifar100.py', work, 'train_cfg.max_epochs=1',
                   *data_opts(tiny_cifar_root)))
    return str(work / 'epoch_1.pth')


def test_teacher_checkpoint_of_another_model(tiny_cifar_root, resnet8_ckpt, tmp_path):
    fails_with(train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root),
                     f'model.teacher_ckpt={resnet8_ckpt}'),
               'does not fit the teacher config', 'Missing keys', 'backbone.layer1.1.conv1.weight')


def test_class_count_mismatch(tiny_cifar_root, tmp_path):
    fails_with(train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root), 'model.teacher_ckpt=None',
                     'model.teacher.head.num_classes=10'),
               'teacher predicts 10 classes but the student 100')


def test_unknown_loss_type(tiny_cifar_root, tmp_path):
    fails_with(train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root), 'model.teacher_ckpt=None',
                     'model.distill_losses.kd.type=KLDLoss'),
               "Unknown model type 'KLDLoss'", 'KDLoss')


def test_unknown_dataset_type(tmp_path):
    fails_with(train('configs/baselines/resnet8_cifar100.py', tmp_path / 'w',
                     'train_dataloader.dataset.type=CIFAR1000'),
               "Unknown dataset type 'CIFAR1000'", 'CIFAR100')


def test_feature_index_out_of_range(tiny_cifar_root, tmp_path):
    fails_with(train('configs/fitnet/resnet56_resnet20.py', tmp_path / 'w',
                     *data_opts(tiny_cifar_root), *SMALL_KD, 'model.teacher_ckpt=None',
                     'model.distill_losses.fitnet.source=9'),
               'feature index 9 does not exist', 'valid indices 0..4')


def test_batch_size_semckd_cannot_take(tiny_cifar_root, tmp_path):
    fails_with(train('configs/semckd/resnet32x4_resnet8x4.py', tmp_path / 'w',
                     *data_opts(tiny_cifar_root), *SMALL_KD, 'model.teacher_ckpt=None'),
               'batch', 'drop_last')


def test_resume_with_checkpoint_of_another_model(tiny_cifar_root, resnet8_ckpt, tmp_path):
    fails_with(['tools/train.py', 'configs/baselines/resnet20_cifar100.py', '--work-dir',
                str(tmp_path / 'w'), '--resume', resnet8_ckpt, '--cfg-options'] + TINY +
               data_opts(tiny_cifar_root), 'does not fit the model', 'Missing keys')


def test_test_tool_with_full_distillation_checkpoint_and_plain_config(tiny_cifar_root, tmp_path):
    work = tmp_path / 'kd'
    run_tool(train(KD, work, *data_opts(tiny_cifar_root), *SMALL_KD, 'model.teacher_ckpt=None',
                   'train_cfg.max_epochs=1'))
    fails_with(['tools/test.py', 'configs/baselines/resnet8_cifar100.py',
                str(work / 'epoch_1.pth'), '--work-dir', str(tmp_path / 't'), '--cfg-options'] +
               TINY + data_opts(tiny_cifar_root), 'full distillation checkpoint',
               'student_last.pth')


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_cifar_root, tmp_path):
    work = tmp_path / 'nan'
    opts = list(data_opts(tiny_cifar_root)) + SMALL_KD + ['model.teacher_ckpt=None']
    run_tool(train(KD, work, *opts, 'train_cfg.max_epochs=1'))
    good = safe_load(str(work / 'epoch_1.pth'))['state_dict']
    message = fails_with(
        ['tools/train.py', KD, '--work-dir', str(work), '--resume', '--cfg-options'] + TINY +
        opts + ['train_cfg.max_epochs=2', 'model.distill_losses.kd.loss_weight=nan'],
        'non-finite at iteration', 'loss_kd=nan', 'epoch_1.pth')
    assert 'epoch 2' in message
    assert not osp.exists(work / 'epoch_2.pth')
    assert open(work / 'last_checkpoint').read().strip().endswith('epoch_1.pth')
    again = safe_load(str(work / 'epoch_1.pth'))['state_dict']
    assert all((good[k] == again[k]).all() for k in good)


# rel-exec: files that are not (usable) PyTorch checkpoints, through every tool route. Each is
# "corrupt or not a PyTorch checkpoint" with what the file is; never the advice to trust and
# unpickle it (issue 9 §5).
NOT_CHECKPOINT_ROUTES = {'random': 'resume', 'text': 'teacher_ckpt', 'plain_pickle': 'test',
                         'npy': 'load_from', 'flipped': 'resume', 'truncated': 'teacher_ckpt',
                         'list': 'test', 'strings': 'load_from'}


@pytest.mark.slow
@pytest.mark.parametrize('kind,route', sorted(NOT_CHECKPOINT_ROUTES.items()))
def test_file_that_is_not_a_checkpoint(tiny_cifar_root, tmp_path, kind, route):
    from tests.reliability.test_code_execution import DETAILS, bad_checkpoint_files
    path = str(bad_checkpoint_files(tmp_path)[kind])
    config = 'configs/baselines/resnet8_cifar100.py'
    if route == 'test':
        args = ['tools/test.py', config, path, '--work-dir', str(tmp_path / 'w'),
                '--cfg-options'] + TINY + data_opts(tiny_cifar_root)
    elif route == 'resume':
        args = ['tools/train.py', config, '--work-dir', str(tmp_path / 'w'), '--resume', path,
                '--cfg-options'] + TINY + data_opts(tiny_cifar_root)
    elif route == 'load_from':
        args = train(config, tmp_path / 'w', *data_opts(tiny_cifar_root), f'load_from={path}')
    else:
        args = train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root), *SMALL_KD,
                     f'model.teacher_ckpt={path}')
    message = fails_with(args, f'Checkpoint {path} is corrupt or not a PyTorch checkpoint',
                         DETAILS[kind])
    assert 'i-trust-this-file' not in message and 'pickled an' not in message
    assert len(message.strip().splitlines()) == 1
# end rel-exec
