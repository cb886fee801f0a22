# UNIXKD, resnet56 -> resnet20 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 3 --k 48 --b 32 --w 10 --lr 0.05).
# Published: 70.41 top-1 at 94.76% of KD's computation (README, CIFAR-100, mean of 4 runs);
#   KD baseline 70.72 (100%); teacher 73.44, student 69.63, Ft/Fs 3.06.
# Teacher: configs/baselines/resnet56_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published resnet56: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet56.py'),
    teacher_ckpt='work_dirs/baselines/resnet56_cifar100/epoch_240.pth',
)
