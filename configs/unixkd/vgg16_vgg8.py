# UNIXKD, vgg16 -> vgg8 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 3 --k 48 --b 32 --w 10 --lr 0.05).
# Published: 73.06 top-1 at 91.29% of KD's computation (README, CIFAR-100, mean of 4 runs);
#   KD baseline 72.10 (100%); Ft/Fs 4.14.
#   (the unlabelled 6th column of the README's similar-architecture table; vgg16 -> vgg8 is
#   the only other pair of command.sh: an interpretation)
# Teacher: configs/baselines/vgg16_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published vgg16: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg16.py'),
    teacher_ckpt='work_dirs/baselines/vgg16_cifar100/epoch_240.pth',
)
