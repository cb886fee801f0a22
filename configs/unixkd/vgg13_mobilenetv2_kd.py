# KD baseline of UNIXKD, vgg13 -> MobileNetV2 (xuguodong03/UNIXKD command/command.sh:
#   --strategy 0 --k 64 --b 64 --w 1000 --lr 0.01).
# Published: 67.94 top-1 at 100% computation (README, CIFAR-100, mean of 4 runs);
#   UNIXKD 68.09 at 77.49%; teacher 75.38, student 65.79, Ft/Fs 38.17.
# Teacher: configs/baselines/vgg13_cifar100.py (the recipe of UNIXKD's teacher.py);
#   the README's published vgg13: --layout unixkd, then model.teacher_ckpt (docs/unixkd.md).
_base_ = ['../_base_/methods/unixkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2_unixkd.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
optim_wrapper = dict(optimizer=dict(lr=0.01))
