# AB, resnet110 -> resnet32. RepDistiller convention: 30 init epochs on AB, then CE 1 alone (the reference's main-stage distillation loss is 0).
# Published: 70.98 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ab.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet32.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet110.py'),
    teacher_ckpt='work_dirs/baselines/resnet110_cifar100/epoch_240.pth',
)
