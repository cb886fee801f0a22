from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


@HOOKS.register_module()
class UNIXKDComputationHook(Hook):
    """Log UNIXKD's compute accounting once per training epoch.

    After every training epoch: samples seen, teacher forwards run and saved, and the fraction of
    conventional-KD compute used, ``(N·F_s + K·(F_t + 2F_s)) / (N·(F_t + 2F_s))`` over the
    epoch's N samples of which K were kept (``k/B + F_s/(F_t + 2F_s)`` on full batches), from the
    model's :class:`~mmkd.models.distillers.UNIXKDBatchTransform`. The numbers go to the log and
    to the visualizer backends as ``unix_epoch/*`` (step = the 1-based epoch). Models without the
    transform are skipped.
    """

    priority = 'BELOW_NORMAL'

    @staticmethod
    def _transform(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        transform = getattr(model, 'batch_transform', None)
        return transform if hasattr(transform, 'epoch_summary') else None

    def before_train(self, runner) -> None:
        transform = self._transform(runner)
        if transform is None or transform.flops_student is None:
            return
        runner.logger.info(
            f'UNIXKD: k={transform.k} of B={transform.batch_size}, b={transform.b}, '
            f'w={transform.w:g}, strategy={transform.strategy}; F_t/F_s = '
            f'{transform.teacher_flops_ratio:.2f} (F_s={transform.flops_student / 1e6:.2f}M, '
            f'F_t={transform.flops_teacher / 1e6:.2f}M FLOPs per sample); computation on full '
            f'batches {100 * transform.nominal_computation():.2f}% of conventional KD.')

    def after_train_epoch(self, runner) -> None:
        transform = self._transform(runner)
        if transform is None:
            return
        summary = transform.epoch_summary()
        if not summary['samples']:
            return
        text = (f"UNIXKD epoch {runner.epoch + 1}: {summary['samples']} samples, "
                f"{summary['teacher_forwards']} teacher forwards, "
                f"{summary['teacher_forwards_saved']} saved")
        scalars = dict(
            teacher_forwards=summary['teacher_forwards'],
            teacher_forwards_saved=summary['teacher_forwards_saved'])
        if 'computation' in summary:
            text += f"; computation {100 * summary['computation']:.2f}% of conventional KD"
            scalars['computation'] = summary['computation']
        runner.logger.info(text + '.')
        runner.visualizer.add_scalars({
            f'unix_epoch/{k}': v
            for k, v in scalars.items()
        },
                                      step=runner.epoch + 1)
