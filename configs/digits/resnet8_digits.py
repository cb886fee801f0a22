# Main job, step 2: the student (resnet8, 0.08M params) trained alone, the baseline.
_base_ = [
    '../_base_/models/resnet8.py', '../_base_/datasets/digits_bs64.py',
    '../_base_/schedules/digits_sgd_10e.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=10))
default_hooks = dict(logger=dict(interval=10))
