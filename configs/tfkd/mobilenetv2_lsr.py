# Label smoothing, MobileNetV2 (CIFAR-100). Published: 69.32 top-1 (figures/Reg-Normal-LSR.png).
# Reference: --label_smoothing with experiments/base_experiments/base_mobilenetv2 (batch 128, lr
#   0.1). Target 1 - 0.1 on the true class and 0.1/(K - 1) elsewhere (specs/tfkd.md §4, G3; not
#   mmpretrain's LabelSmoothLoss).
_base_ = ['../_base_/models/mobilenetv2_tfkd.py', '../_base_/datasets/cifar100_tfkd.py',
          '../_base_/schedules/tfkd_200e.py', '../_base_/tfkd_runtime.py']
model = dict(head=dict(loss=dict(_delete_=True, type='TfKDLabelSmoothingLoss', epsilon=0.1)))
