# DKD, resnet50 -> mobilenetv2: CE 1 + DKD(alpha 1, beta 8, T 4, 20-epoch warm-up).
# Published: 70.35 top-1 (mdistiller configs/cifar100/dkd, README).
_base_ = ['../_base_/methods/dkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/baselines/resnet50_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
