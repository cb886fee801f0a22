# CC, resnet110 -> resnet32. RepDistiller convention: CE 1 + 0.02 * CC, no KD term.
# Published: 71.48 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/cc.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet32.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet110.py'),
    teacher_ckpt='work_dirs/baselines/resnet110_cifar100/epoch_240.pth',
)
