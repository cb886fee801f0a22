# CRD, resnet110 -> resnet32. RepDistiller convention: CE 1 + 0.8 * CRD, no KD term.
# Published: 73.48 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/crd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet32.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet110.py'),
    teacher_ckpt='work_dirs/baselines/resnet110_cifar100/epoch_240.pth',
)
