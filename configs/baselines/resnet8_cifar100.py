_base_ = [
    '../_base_/models/resnet8.py', '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py', '../_base_/default_runtime.py'
]
