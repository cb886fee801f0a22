# Label smoothing, ResNet50 (CIFAR-100). Not reported in the reference.
# Reference: --label_smoothing with experiments/base_experiments/base_resnet50 (batch 64, lr 0.05).
#   Target 1 - 0.1 on the true class and 0.1/(K - 1) elsewhere (specs/tfkd.md §4, G3; not
#   mmpretrain's LabelSmoothLoss).
_base_ = ['../_base_/models/resnet50.py', '../_base_/datasets/cifar100_tfkd.py',
          '../_base_/schedules/tfkd_200e.py', '../_base_/tfkd_runtime.py']
model = dict(
    backbone=dict(init='tfkd'),
    head=dict(loss=dict(_delete_=True, type='TfKDLabelSmoothingLoss', epsilon=0.1)),
)
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
