# Tf-KD baseline, ShuffleNetV2 (CIFAR-100). Published: 70.34 top-1 (Tf-KD README).
# Reference: normal training with experiments/base_experiments/base_shufflenetv2 (batch 128, lr
#   0.1), the Tf-KD recipe (specs/tfkd.md §6).
# Keeps the checkpoints of epochs [1, 50, 51] and the best one in
#   work_dirs/tfkd/baselines/shufflenetv2_cifar100/keep/ (the De-KD and Tf-KD_self teachers).
_base_ = ['../../_base_/models/shufflenetv2_tfkd.py', '../../_base_/datasets/cifar100_tfkd.py',
          '../../_base_/schedules/tfkd_200e.py', '../../_base_/tfkd_runtime.py']
custom_hooks = [dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True)]
