# Label smoothing, GoogLeNet (CIFAR-100). Published: 79.07 top-1 (figures/Reg-Normal-LSR.png).
# Reference: --label_smoothing with experiments/base_experiments/base_googlenet (batch 64, lr 0.05).
#   Target 1 - 0.1 on the true class and 0.1/(K - 1) elsewhere (specs/tfkd.md §4, G3; not
#   mmpretrain's LabelSmoothLoss).
_base_ = ['../_base_/models/googlenet.py', '../_base_/datasets/cifar100_tfkd.py',
          '../_base_/schedules/tfkd_200e.py', '../_base_/tfkd_runtime.py']
model = dict(head=dict(loss=dict(_delete_=True, type='TfKDLabelSmoothingLoss', epsilon=0.1)))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
