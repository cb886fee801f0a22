# KD baseline of UNIXKD, resnet32x4 -> ShuffleV1 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 0 --k 64 --b 64 --w 1000 --lr 0.01).
# Published: 74.52 top-1 at 100% computation (README, CIFAR-100, mean of 4 runs);
#   UNIXKD 76.48 at 78.43%; teacher 79.63, student 70.77, Ft/Fs 27.16.
# Teacher: configs/baselines/resnet32x4_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published resnet32x4: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
optim_wrapper = dict(optimizer=dict(lr=0.01))
