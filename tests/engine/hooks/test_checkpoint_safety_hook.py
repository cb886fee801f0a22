"""ResumeCheckHook and BestCheckpointGuardHook on a real mmengine Runner (in process).

The same guarantees through tools/train.py (a second run refused by the lock, SIGKILL during a
save or a validation, resume refusals) are in tests/reliability/.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook

from mmkd.engine.hooks.checkpoint_safety_hook import (VALIDATED_KEY, BestCheckpointGuardHook,
                                                      ResumeCheckHook)
from mmkd.registry import HOOKS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError
from mmkd.utils.work_dir_lock import lock_work_dir, unlock_work_dir
from tests.engine.hooks.toy_runner import toy_runner

SAFETY = [dict(type='ResumeCheckHook'), dict(type='BestCheckpointGuardHook')]


class _LockProbe(Hook):
    """Records, before training, whether this process could take the work dir's lock now."""

    def before_train(self, runner):
        self.taken_now = lock_work_dir(runner.work_dir)  # False: already held by this process


def test_both_build_by_name():
    assert isinstance(HOOKS.build(dict(type='ResumeCheckHook')), ResumeCheckHook)
    assert isinstance(HOOKS.build(dict(type='BestCheckpointGuardHook')), BestCheckpointGuardHook)


def test_resume_check_hook_holds_the_lock_for_the_run_and_removes_stale_tmp_files(tmp_path):
    stale = tmp_path / '.epoch_1.pth.abcd1234.tmp'  # left by a save killed earlier
    stale.write_bytes(b'partial')
    kept = tmp_path / 'notes.tmp'  # not a save's temporary name: not ours to remove
    kept.write_bytes(b'x')
    probe = _LockProbe()
    runner = toy_runner(tmp_path, custom_hooks=[dict(type='ResumeCheckHook'), probe])
    runner.train()
    assert probe.taken_now is False  # held by the run (this process)
    assert not stale.exists() and kept.exists()
    assert lock_work_dir(str(tmp_path)) is True  # released when the run ended
    unlock_work_dir(str(tmp_path))


def test_config_text_of_a_loaded_checkpoint_is_dropped(tmp_path):
    runner = toy_runner(tmp_path / 'a', custom_hooks=SAFETY)
    hook = [h for h in runner.hooks if isinstance(h, ResumeCheckHook)][0]
    checkpoint = dict(meta=dict(config='import os\nos._exit(3)\n', cfg='x = 1'))
    hook.after_load_checkpoint(runner, checkpoint)
    assert checkpoint['meta'] == dict(cfg='x = 1')


def test_resume_refuses_a_weights_only_checkpoint_and_resumes_an_epoch_one(tmp_path):
    first = toy_runner(tmp_path / 'first', custom_hooks=SAFETY, max_epochs=1)
    first.train()
    epoch_1 = str(tmp_path / 'first' / 'epoch_1.pth')
    student = str(tmp_path / 'student_last.pth')
    torch.save(dict(state_dict=safe_load(epoch_1)['state_dict']), student)
    refused = toy_runner(tmp_path / 'refused', custom_hooks=SAFETY, resume=True, load_from=student)
    with pytest.raises(
            CheckpointError, match='a student-only checkpoint, without the '
            'epoch/iteration counters'):
        refused.train()
    resumed = toy_runner(tmp_path / 'resumed', custom_hooks=SAFETY, resume=True, load_from=epoch_1)
    resumed.train()
    assert resumed.epoch == 2 and safe_load(str(tmp_path / 'resumed' / 'epoch_2.pth'))


def test_new_best_is_written_before_the_previous_one_is_removed(tmp_path, monkeypatch):
    seen_at_removal = []
    remove = LocalBackend.remove

    def recording_remove(self, filepath):
        if osp.basename(str(filepath)).startswith('best_'):
            seen_at_removal.append(sorted(map(osp.basename, glob.glob(str(tmp_path / 'best_*')))))
        return remove(self, filepath)

    monkeypatch.setattr(LocalBackend, 'remove', recording_remove)
    runner = toy_runner(
        tmp_path,
        custom_hooks=SAFETY,
        max_epochs=3,
        val_scores=[1.0, 2.0, 3.0],
        save_best='toy/score')
    runner.train()
    # each removal happened with the new best already on disk next to the old one
    assert seen_at_removal == [['best_toy_score_epoch_1.pth', 'best_toy_score_epoch_2.pth'],
                               ['best_toy_score_epoch_2.pth', 'best_toy_score_epoch_3.pth']]
    assert sorted(map(osp.basename,
                      glob.glob(str(tmp_path / 'best_*')))) == ['best_toy_score_epoch_3.pth']
    assert safe_load(str(tmp_path /
                         'epoch_3.pth'))['message_hub']['runtime_info'][VALIDATED_KEY] == 3


@pytest.mark.parametrize('validated', [True, False])
def test_resumed_epoch_without_a_record_of_its_validation_is_validated(tmp_path, validated):
    first = toy_runner(
        tmp_path / 'first',
        custom_hooks=SAFETY,
        max_epochs=2,
        val_scores=[1.0, 2.0],
        save_best='toy/score')
    first.train()
    epoch_2 = str(tmp_path / 'first' / 'epoch_2.pth')
    if not validated:  # as if killed during epoch 2's validation, after its checkpoint
        ckpt = safe_load(epoch_2)
        ckpt['message_hub']['runtime_info'][VALIDATED_KEY] = 1
        torch.save(ckpt, epoch_2)
    resumed = toy_runner(
        tmp_path / 'first',
        custom_hooks=SAFETY,
        max_epochs=3,
        val_scores=[5.0, 6.0],
        save_best='toy/score',
        resume=True,
        load_from=epoch_2)
    resumed.train()
    metric = resumed.val_evaluator.metrics[0]
    assert metric.calls == (1 if validated else 2)  # epoch 3, after epoch 2 again if needed
    best = sorted(map(osp.basename, glob.glob(str(tmp_path / 'first' / 'best_*'))))
    assert best == ['best_toy_score_epoch_3.pth']
