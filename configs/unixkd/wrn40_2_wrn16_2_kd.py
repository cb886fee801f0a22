# KD baseline of UNIXKD, wrn_40_2 -> wrn_16_2 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 0 --k 64 --b 64 --w 1000 --lr 0.05).
# Published: 75.40 top-1 at 100% computation (README, CIFAR-100, mean of 4 runs);
#   UNIXKD 75.40 at 94.06%; teacher 76.46, student 73.64, Ft/Fs 3.25.
# Teacher: configs/baselines/wrn40_2_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published wrn_40_2: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/wrn16_2.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
