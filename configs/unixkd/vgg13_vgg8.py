# UNIXKD, vgg13 -> vgg8 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 3 --k 48 --b 32 --w 10 --lr 0.05).
# Published: 73.55 top-1 at 95.10% of KD's computation (README, CIFAR-100, mean of 4 runs);
#   KD baseline 73.38 (100%); teacher 75.38, student 70.68, Ft/Fs 2.97.
# Teacher: configs/baselines/vgg13_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published vgg13: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
