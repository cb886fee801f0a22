# FT, wrn40_2 -> wrn40_1. RepDistiller convention: CE 1 + 200 * FT, no KD term.
# Published: 71.59 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ft.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/wrn40_1.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
