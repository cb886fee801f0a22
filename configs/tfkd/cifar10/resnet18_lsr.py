# Label smoothing, ResNet18 (CIFAR-10). No published CIFAR-10 number in the reference.
# Reference: --label_smoothing with experiments/base_experiments/base_resnet18 (batch 128, lr 0.1).
#   Target 1 - 0.1 on the true class and 0.1/(K - 1) elsewhere (specs/tfkd.md §4, G3; not
#   mmpretrain's LabelSmoothLoss).
_base_ = ['../../_base_/models/resnet18.py', '../../_base_/datasets/cifar10_tfkd.py',
          '../../_base_/schedules/tfkd_200e.py', '../../_base_/tfkd_runtime.py']
model = dict(
    head=dict(
        num_classes=10,
        loss=dict(_delete_=True, type='TfKDLabelSmoothingLoss', epsilon=0.1),
    ))
