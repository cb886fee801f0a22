# Tf-KD baseline, MobileNetV2 (Tiny-ImageNet). No published Tiny-ImageNet number in the reference.
# Reference: normal training with experiments/base_experiments/base_mobilenetv2 (batch 128, lr 0.1),
#   the Tf-KD recipe (specs/tfkd.md §6).
# Keeps the checkpoints of epochs [1, 50, 51] and the best one in
#   work_dirs/tfkd/tiny_imagenet/baselines/mobilenetv2_tiny_imagenet/keep/ (the De-KD and Tf-KD_self
#   teachers).
_base_ = ['../../../_base_/models/mobilenetv2_tfkd.py',
          '../../../_base_/datasets/tiny_imagenet_tfkd.py',
          '../../../_base_/schedules/tfkd_200e.py',
          '../../../_base_/tfkd_runtime.py']
model = dict(head=dict(num_classes=200))
custom_hooks = [dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True)]
