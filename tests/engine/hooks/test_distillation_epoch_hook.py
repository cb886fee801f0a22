"""DistillationEpochHook: the model hears the epoch before each epoch, also after a resume."""
from types import SimpleNamespace

from mmengine.model import MMDistributedDataParallel

from mmkd.engine.hooks.distillation_epoch_hook import DistillationEpochHook
from tests.engine.hooks.toy_runner import ToyModel, toy_runner


def test_every_epoch_then_the_restored_epoch_after_resume(tmp_path):
    model = ToyModel()
    toy_runner(
        tmp_path, model=model, max_epochs=3,
        custom_hooks=[dict(type='DistillationEpochHook')]).train()
    assert model.epochs_seen == [0, 1, 2]
    resumed = ToyModel()
    toy_runner(
        tmp_path,
        model=resumed,
        max_epochs=3,
        resume=True,
        load_from=str(tmp_path / 'epoch_2.pth'),
        custom_hooks=[dict(type='DistillationEpochHook')]).train()
    assert resumed.epochs_seen == [2]


def test_unwraps_a_model_wrapper_and_skips_models_without_set_epoch():
    model = ToyModel()
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)  # no process group
    object.__setattr__(wrapper, '_modules', {'module': model})
    DistillationEpochHook().before_train_epoch(SimpleNamespace(model=wrapper, epoch=4))
    assert model.epochs_seen == [4]
    DistillationEpochHook().before_train_epoch(SimpleNamespace(model=object(), epoch=1))
