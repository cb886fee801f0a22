# FT, resnet32x4 -> resnet8x4. RepDistiller convention: CE 1 + 200 * FT, no KD term.
# Published: 72.86 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ft.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
