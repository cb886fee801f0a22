# DKD, wrn40_2 -> wrn16_2: CE 1 + DKD(alpha 1, beta 6, T 4, 20-epoch warm-up).
# Published: 76.23 top-1 (mdistiller configs/cifar100/dkd, README).
_base_ = ['../_base_/methods/dkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/wrn16_2.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
    distill_losses=dict(dkd=dict(beta=6)),
)
