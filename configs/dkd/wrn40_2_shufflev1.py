# DKD, wrn40_2 -> shufflev1: CE 1 + DKD(alpha 1, beta 8, T 4, 20-epoch warm-up).
# Published: 76.70 top-1 (mdistiller configs/cifar100/dkd, README).
_base_ = ['../_base_/methods/dkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
