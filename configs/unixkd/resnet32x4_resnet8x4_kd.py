# KD baseline of UNIXKD, resnet32x4 -> resnet8x4 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 0 --k 64 --b 64 --w 1000 --lr 0.05).
# Published: 73.34 top-1 at 100% computation (README, CIFAR-100, mean of 4 runs);
#   UNIXKD 74.86 at 87.32%; teacher 79.63, student 72.51, Ft/Fs 6.12.
# Teacher: configs/baselines/resnet32x4_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published resnet32x4: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
