# SemCKD, vgg13 -> vgg8. SemCKD convention: CE 1 + KD 1 + 400 * SemCKD.
# Published: 74.43 top-1 (SemCKD table, specs/semckd_and_classic_kd.md §5.1).
_base_ = ['../_base_/methods/semckd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
