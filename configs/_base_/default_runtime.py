# Runtime shared by every mmkd config (mmpretrain conventions).
default_scope = 'mmkd'
# makes mmkd's (and mmpretrain's) types resolvable when a config is used outside tools/
custom_imports = dict(imports=['mmkd.utils.setup_env'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # every epoch (kept: the last 2) + the best top-1; `last_checkpoint` points at the newest
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='accuracy/top1',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # mmkd: refuse --resume/load_from checkpoints of another model; stop on NaN/inf losses
    checkpoint_check=dict(type='CheckpointCompatibilityHook'),
    nan_guard=dict(type='NaNGuardHook'),
    # per-epoch seeding of the main process (resume continues with the same random numbers)
    epoch_seed=dict(type='ReproducibleEpochHook'),
    # mmkd: atomic saves, one run per work dir, safe and explained --resume (docs/reliability.md)
    resume_check=dict(type='ResumeCheckHook'),
    # mmkd: a new best is written before the old one is removed; unfinished validations re-run
    best_guard=dict(type='BestCheckpointGuardHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no GPU is present
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
