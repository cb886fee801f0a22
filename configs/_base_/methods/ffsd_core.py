# The FFSD distiller, its hooks and distributed wrapper without data or schedule: the
# method bases configs/_base_/methods/ffsd.py (CIFAR-100) and ffsd_imagenet.py add those.
model = dict(
    type='FFSDDistiller',
    model_num=2,
    temperature=2.0,
    lambda_diversity=1e-5,
    lambda_fusion=10.0,
    lambda_self_distillation=1000.0,
    # per-term warm-ups of the three lambdas (mmkd WEIGHT_SCHEDULES, 1-based epochs): the
    # reference's lambda_warmup, exp(-5 (1 - e/5)^2) for e <= 5; CE and KD are not warmed up
    weight_schedules=dict(
        diversity=dict(type='ExpRampUp', epochs=5, scale=5.0),
        fusion=dict(type='ExpRampUp', epochs=5, scale=5.0),
        self_distillation=dict(type='ExpRampUp', epochs=5, scale=5.0)),
    fusion=dict(type='FFSDFusionModule'),  # spatial: the method bases (8 CIFAR, 7 ImageNet)
)
custom_hooks = [
    dict(type='DistillationEpochHook'),  # the epoch of the lambda warm-up
    dict(type='StudentCheckpointHook'),  # student_last.pth / student_best.pth: the leader
]
# distributed: every part on its own DDP (mmkd/engine/online_ddp.py)
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=False)
