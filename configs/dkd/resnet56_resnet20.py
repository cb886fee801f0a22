# DKD, resnet56 -> resnet20: CE 1 + DKD(alpha 1, beta 2, T 4, 20-epoch warm-up).
# Published: 71.97 top-1 (mdistiller configs/cifar100/dkd, README).
_base_ = ['../_base_/methods/dkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet56.py'),
    teacher_ckpt='work_dirs/baselines/resnet56_cifar100/epoch_240.pth',
    distill_losses=dict(dkd=dict(beta=2)),
)
