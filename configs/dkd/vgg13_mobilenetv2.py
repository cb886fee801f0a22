# DKD, vgg13 -> mobilenetv2: CE 1 + DKD(alpha 1, beta 6, T 4, 20-epoch warm-up).
# Published: 69.71 top-1 (mdistiller configs/cifar100/dkd, README).
_base_ = ['../_base_/methods/dkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
    distill_losses=dict(dkd=dict(beta=6)),
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
