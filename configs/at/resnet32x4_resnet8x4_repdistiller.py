# AT, resnet32x4 -> resnet8x4. RepDistiller convention: CE 1 + 1000 * AT, no KD term.
# Published: 73.44 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/at_repdistiller.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
