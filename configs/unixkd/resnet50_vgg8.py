# UNIXKD, ResNet50 -> vgg8 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 3 --k 48 --b 32 --w 10 --lr 0.05).
# Published: 74.02 top-1 at 81.43% of KD's computation (README, CIFAR-100, mean of 4 runs);
#   KD baseline 73.43 (100%); teacher 79.10, student 70.68, Ft/Fs 13.56.
# Teacher: configs/baselines/resnet50_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published ResNet50: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/baselines/resnet50_cifar100/epoch_240.pth',
)
