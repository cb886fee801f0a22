# UNIXKD, wrn_40_2 -> wrn_40_1 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 3 --k 48 --b 32 --w 10 --lr 0.05).
# Published: 74.38 top-1 at 91.88% of KD's computation (README, CIFAR-100, mean of 4 runs);
#   KD baseline 73.77 (100%); teacher 76.46, student 72.24, Ft/Fs 3.93.
# Teacher: configs/baselines/wrn40_2_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published wrn_40_2: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/wrn40_1.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
