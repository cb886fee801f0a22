"""Online distillers declare their hooks: a user's own custom_hooks keep them."""


def test_user_custom_hooks_keep_the_online_hooks():
    from mmengine.config import Config

    from mmkd.models.distillers import merge_required_hooks
    cfg = Config.fromfile('configs/ffsd/resnet20.py')
    cfg.custom_hooks = [dict(type='EMAHook')]
    assert merge_required_hooks(cfg) == ['DistillationEpochHook', 'StudentCheckpointHook']
    assert [h['type'] for h in cfg.custom_hooks
            ] == ['EMAHook', 'DistillationEpochHook', 'StudentCheckpointHook']
