# Tf-KD baseline, DenseNet121 (CIFAR-100). Published: 79.04 top-1 (Tf-KD README).
# Reference: normal training with experiments/base_experiments/base_densenet121 (batch 128, lr 0.1),
#   the Tf-KD recipe (specs/tfkd.md §6).
# Keeps the checkpoints of epochs [1, 50, 51] and the best one in
#   work_dirs/tfkd/baselines/densenet121_cifar100/keep/ (the De-KD and Tf-KD_self teachers).
_base_ = ['../../_base_/models/densenet121.py', '../../_base_/datasets/cifar100_tfkd.py',
          '../../_base_/schedules/tfkd_200e.py', '../../_base_/tfkd_runtime.py']
custom_hooks = [dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True)]
