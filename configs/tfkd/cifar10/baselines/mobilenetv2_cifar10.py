# Tf-KD baseline, MobileNetV2 (CIFAR-10). No published CIFAR-10 number in the reference.
# Reference: normal training with experiments/base_experiments/base_mobilenetv2 (batch 128, lr 0.1),
#   the Tf-KD recipe (specs/tfkd.md §6).
# Keeps the checkpoints of epochs [1, 50, 51] and the best one in
#   work_dirs/tfkd/cifar10/baselines/mobilenetv2_cifar10/keep/ (the De-KD and Tf-KD_self teachers).
_base_ = ['../../../_base_/models/mobilenetv2_tfkd.py', '../../../_base_/datasets/cifar10_tfkd.py',
          '../../../_base_/schedules/tfkd_200e.py', '../../../_base_/tfkd_runtime.py']
model = dict(head=dict(num_classes=10))
custom_hooks = [dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True)]
