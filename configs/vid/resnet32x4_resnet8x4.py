# VID, resnet32x4 -> resnet8x4. SemCKD convention: CE 1 + KD 1 + 1 * VID.
# Published: 74.55 top-1 (SemCKD table, specs/semckd_and_classic_kd.md §5.1).
_base_ = ['../_base_/methods/vid.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
