# Main job, step 1: the teacher (resnet20, 0.28M params) on the digits.
_base_ = [
    '../_base_/models/resnet20.py', '../_base_/datasets/digits_bs64.py',
    '../_base_/schedules/digits_sgd_10e.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=10))
default_hooks = dict(logger=dict(interval=10))
