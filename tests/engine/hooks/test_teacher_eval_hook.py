"""TeacherEvalHook: the frozen teacher is measured once per run, with the validation evaluator."""
import torch

from mmkd.engine.hooks.teacher_eval_hook import TeacherEvalHook
from tests.engine.hooks.toy_runner import ToyModel, toy_runner


class WithTeacher(ToyModel):

    def __init__(self):
        super().__init__()
        self.teacher_calls = 0
        self.modes = []

    def predict_teacher(self, inputs, data_samples=None):
        self.teacher_calls += 1
        self.modes.append(self.training)
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        return [dict(score=v) for v in (2 * x[:, 0])]


def test_measured_once_before_training_and_kept_for_a_resume(tmp_path):
    model = WithTeacher()
    runner = toy_runner(
        tmp_path,
        model=model,
        max_epochs=2,
        val_scores=[7.0, 1.0, 2.0],
        custom_hooks=[dict(type='TeacherEvalHook')])
    runner.train()
    # the 4 validation samples in batches of 4: one predict_teacher call, in eval mode
    assert model.teacher_calls == 1 and model.modes == [False]
    assert runner.message_hub.get_info('teacher_metrics') == {'teacher/toy/score': 7.0}
    # a second before_train (a resumed run keeps the message hub): not measured again
    TeacherEvalHook().before_train(runner)
    assert model.teacher_calls == 1
    # without a record it measures again, in eval mode, and gives the model back in train mode
    runner.message_hub.update_info('teacher_metrics', None)
    model.train()
    TeacherEvalHook().before_train(runner)
    assert model.teacher_calls == 2 and model.modes == [False, False] and model.training


def test_models_without_a_teacher_are_skipped(tmp_path):
    model = ToyModel()
    runner = toy_runner(
        tmp_path,
        model=model,
        max_epochs=1,
        val_scores=[1.0],
        custom_hooks=[dict(type='TeacherEvalHook')])
    runner.train()
    assert runner.message_hub.get_info('teacher_metrics') is None
