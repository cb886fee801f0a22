# KD baseline of UNIXKD, wrn_40_2 -> wrn_40_1 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 0 --k 64 --b 64 --w 1000 --lr 0.05).
# Published: 73.77 top-1 at 100% computation (README, CIFAR-100, mean of 4 runs);
#   UNIXKD 74.38 at 91.88%; teacher 76.46, student 72.24, Ft/Fs 3.93.
# Teacher: configs/baselines/wrn40_2_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published wrn_40_2: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/wrn40_1.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
