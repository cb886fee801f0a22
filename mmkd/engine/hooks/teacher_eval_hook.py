import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Measure the frozen teacher's accuracy once per run (not every epoch) and log it.

    Runs before the first training epoch on the validation set with the validation evaluator;
    the result is kept in the message hub (``teacher_metrics``), so a resumed run does not
    measure it again. Models without ``predict_teacher`` are skipped.
    """

    priority = 'LOW'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'predict_teacher') or runner.val_loop is None:  # --no-validate
            return
        if runner.message_hub.get_info('teacher_metrics') is not None:
            return
        evaluator = runner.val_evaluator
        was_training = model.training
        model.eval()
        with torch.no_grad():
            for data_batch in runner.val_dataloader:
                data = model.data_preprocessor(data_batch, False)
                outputs = model.predict_teacher(data['inputs'], data['data_samples'])
                evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = evaluator.evaluate(len(runner.val_dataloader.dataset))
        model.train(was_training)
        metrics = {f'teacher/{k}': v for k, v in metrics.items()}
        runner.message_hub.update_info('teacher_metrics', metrics)
        runner.logger.info('Teacher (measured once): ' + '  '.join(f'{k}: {v:.2f}'
                                                                   for k, v in metrics.items()))
