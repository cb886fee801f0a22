import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Put the model's 4-D weights in ``channels_last`` memory format before training/testing,
    and have its data preprocessor hand over ``channels_last`` inputs.

    The values are unchanged (a layout, not a cast): convolutions on GPUs with tensor cores (and
    oneDNN on CPUs) run faster on NHWC. Checkpoints are written and loaded as usual (state dicts
    hold values, any layout loads). Turn on with ``tools/train.py --channels-last`` or
    ``custom_hooks=[dict(type='ChannelsLastHook')]``.
    """

    priority = 'VERY_HIGH'

    def _convert(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
        preprocessor = getattr(model, 'data_preprocessor', None)
        if preprocessor is None or getattr(preprocessor, '_mmkd_channels_last', False):
            return
        from mmkd.models.data_preprocessors import BatchAugmentClsDataPreprocessor
        if isinstance(preprocessor, BatchAugmentClsDataPreprocessor):
            preprocessor.channels_last = True
        else:
            _wrap_preprocessor(preprocessor)
        preprocessor._mmkd_channels_last = True

    def before_train(self, runner) -> None:
        self._convert(runner)

    def before_test(self, runner) -> None:
        self._convert(runner)


def _wrap_preprocessor(preprocessor) -> None:
    """Give any data preprocessor ``channels_last`` outputs (mmkd's batch-augment one has it)."""
    forward = preprocessor.forward

    def channels_last_forward(data, training=False):
        out = forward(data, training)
        out['inputs'] = out['inputs'].contiguous(memory_format=torch.channels_last)
        return out

    preprocessor.forward = channels_last_forward
