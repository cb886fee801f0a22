_base_ = [
    '../_base_/models/shufflev2.py', '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py', '../_base_/default_runtime.py'
]

# base lr 0.01 instead of 0.05 for MobileNetV2 / ShuffleV1 / ShuffleV2
# (RepDistiller/SemCKD train_teacher.py / train_student.py)
optim_wrapper = dict(optimizer=dict(lr=0.01))
