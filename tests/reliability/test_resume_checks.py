"""--resume through tools/train.py and mmengine's Runner.resume: no config text from a checkpoint
runs, files that cannot be continued are refused, config-vs-checkpoint differences are explained,
the run's own seed is reused, and --resume auto steps past a corrupt newest checkpoint."""
import os.path as osp
import zipfile

import pytest
import torch
from mmengine.config import Config

import mmkd.utils.resume as resume
from mmkd.utils.atomic import atomic_torch_save
from mmkd.utils.checkpoint import safe_load
from tests.reliability.test_bad_input import fails_with
from tests.reliability.test_checkpoint_integrity import CONFIG, KD, SMALL_KD, train
from tests.reliability.test_exact_resume import assert_identical
from tests.utils import run_tool


def payload(marker):
    """Config text that, executed, writes ``marker``."""
    return f"import os\nopen({str(marker)!r}, 'w').write('ran')\ngpu_ids = [0]\n"


def plant_config_text(path, marker):
    checkpoint = safe_load(str(path))
    checkpoint['meta']['config'] = payload(marker)
    torch.save(checkpoint, str(path))  # plain data: passes the checkpoint allow-list


@pytest.mark.slow
def test_config_text_of_a_checkpoint_never_runs(tiny_cifar_root, tmp_path):
    live = tmp_path / 'payload_is_live'
    Config.fromstring(payload(live), file_format='.py')  # what Runner.resume would do with it
    assert live.exists(), 'the payload does not run: the test would prove nothing'

    work, marker = tmp_path / 'w', tmp_path / 'marker'
    run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=1'))
    plant_config_text(work / 'epoch_1.pth', marker)
    args = train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=2')
    out = run_tool(args[:4] + ['--resume', str(work / 'epoch_1.pth')] + args[4:]).stdout
    assert not marker.exists(), '--resume PATH executed meta["config"]'
    assert "Ignored meta['config']" in out and 'resumed epoch: 1' in out

    plant_config_text(work / 'epoch_2.pth', marker)  # the newest: what --resume auto picks
    out = run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=3',
                         resume=True)).stdout
    assert not marker.exists(), '--resume auto executed meta["config"]'
    assert "Ignored meta['config']" in out and 'resumed epoch: 2' in out


@pytest.mark.slow
def test_resume_from_best_or_student_checkpoint_is_refused(tiny_cifar_root, tmp_path):
    work = tmp_path / 'kd'
    run_tool(train(KD, work, tiny_cifar_root, *SMALL_KD, 'train_cfg.max_epochs=1'))
    best = next(work.glob('best_*.pth'))
    for path, kind in ((best, 'best checkpoint'), (work / 'student_best.pth', 'student-only')):
        args = train(KD, tmp_path / 'again', tiny_cifar_root, *SMALL_KD, 'train_cfg.max_epochs=2')
        fails_with(args[:4] + ['--resume', str(path)] + args[4:], f'Cannot --resume {path}', kind,
                   f'load_from={path}')


@pytest.mark.slow
def test_resume_says_which_of_config_and_checkpoint_wins(tiny_cifar_root, tmp_path):
    work = tmp_path / 'w'
    run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=1'))
    out = run_tool(
        train(
            CONFIG,
            work,
            tiny_cifar_root,
            'train_cfg.max_epochs=2',
            'optim_wrapper.optimizer.lr=0.01',
            'param_scheduler.milestones=[1]',
            resume=True)).stdout
    assert "lr: the config's 0.01 is used instead of the checkpoint's 0.05" in out
    assert "MultiStepLR.milestones: the checkpoint's [150, 180, 210] is used" in out
    group = safe_load(str(work / 'epoch_2.pth'))['optimizer']['param_groups'][0]
    assert group['lr'] == pytest.approx(0.01) and group['initial_lr'] == pytest.approx(0.01)
    assert 'lr: 1.0000e-02' in out  # epoch 2 trained with it (milestone 1 did not apply)


@pytest.mark.slow
def test_mid_epoch_iteration_checkpoint_is_refused(tiny_cifar_root, tmp_path):
    work = tmp_path / 'w'
    run_tool(
        train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=1',
              'default_hooks.checkpoint.by_epoch=False', 'default_hooks.checkpoint.interval=5',
              'default_hooks.checkpoint.save_best=None'))
    args = train(CONFIG, tmp_path / 'again', tiny_cifar_root, 'train_cfg.max_epochs=2')
    fails_with(args[:4] + ['--resume', str(work / 'iter_10.pth')] + args[4:],
               'iteration 10, 10 of 13 iterations into epoch 1', 'replay', 'epoch_*.pth')


@pytest.mark.slow
def test_resume_is_exact_with_the_shipped_random_seed(tiny_cifar_root, tmp_path):
    """randomness.seed=None (as shipped): the seed drawn by the first run is in the checkpoint and
    the resumed run continues with it; the result equals a straight run with that seed."""
    split, straight = tmp_path / 'split', tmp_path / 'straight'
    run_tool(
        train(CONFIG, split, tiny_cifar_root, 'train_cfg.max_epochs=1', 'randomness.seed=None'))
    seed = safe_load(str(split / 'epoch_1.pth'))['meta']['seed']
    assert isinstance(seed, int)
    run_tool(
        train(
            CONFIG,
            split,
            tiny_cifar_root,
            'train_cfg.max_epochs=2',
            'randomness.seed=None',
            resume=True))
    run_tool(
        train(CONFIG, straight, tiny_cifar_root, 'train_cfg.max_epochs=2',
              f'randomness.seed={seed}'))
    assert_identical(
        safe_load(str(straight / 'epoch_2.pth'))['state_dict'],
        safe_load(str(split / 'epoch_2.pth'))['state_dict'])


def flip_a_byte_of(path, member_suffix='data.pkl'):
    """Flip one byte inside a zip member of a checkpoint (the archive stays well-formed)."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(member_suffix))
    with open(path, 'r+b') as f:
        f.seek(info.header_offset + 26)
        name_len = int.from_bytes(f.read(2), 'little')
        extra_len = int.from_bytes(f.read(2), 'little')
        where = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
        f.seek(where)
        byte = f.read(1)
        f.seek(where)
        f.write(bytes([byte[0] ^ 0x10]))


def test_resume_auto_falls_back_past_corrupt_newest(tmp_path, monkeypatch):
    said = []
    monkeypatch.setattr(resume, '_warn', said.append)
    for epoch in (1, 2, 3):
        atomic_torch_save({
            'meta': {
                'epoch': epoch
            },
            'state_dict': {
                'w': torch.ones(64) * epoch
            }
        }, str(tmp_path / f'epoch_{epoch}.pth'))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    flip_a_byte_of(str(tmp_path / 'epoch_3.pth'), 'data.pkl')  # bit flip in the pickle
    flip_a_byte_of(str(tmp_path / 'epoch_2.pth'), '/0')  # bit flip in a tensor
    assert resume.find_resumable_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')
    assert len(said) == 1 and 'epoch_3.pth' in said[0] and 'epoch_2.pth' in said[0]
    assert 'CRC' in said[0] and said[0].endswith(f'Resuming from {tmp_path}/epoch_1.pth, the '
                                                 'newest intact checkpoint.')
    (tmp_path / 'epoch_1.pth').write_bytes(b'\x80\x04K\x01.')  # a plain pickle
    said.clear()
    assert resume.find_resumable_checkpoint(str(tmp_path)) is None
    assert 'not a PyTorch checkpoint' in said[0] and 'from scratch' in said[0]


@pytest.mark.slow
def test_train_tool_resume_auto_skips_a_corrupt_newest(tiny_cifar_root, tmp_path):
    work = tmp_path / 'w'
    run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=2'))
    flip_a_byte_of(str(work / 'epoch_2.pth'))
    out = run_tool(train(CONFIG, work, tiny_cifar_root, 'train_cfg.max_epochs=2',
                         resume=True)).stdout
    assert f'skipped {work}/epoch_2.pth' in out
    assert f'Resuming from {work}/epoch_1.pth' in out and 'resumed epoch: 1' in out
    assert safe_load(str(work / 'epoch_2.pth'))['meta']['epoch'] == 2
    assert osp.isfile(work / 'epoch_1.pth')
