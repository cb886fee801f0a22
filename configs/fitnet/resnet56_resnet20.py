# FitNet, resnet56 -> resnet20. RepDistiller convention: CE 1 + 100 * FitNet, no KD term.
# Published: 69.21 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/fitnet_repdistiller.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet20.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet56.py'),
    teacher_ckpt='work_dirs/baselines/resnet56_cifar100/epoch_240.pth',
)
