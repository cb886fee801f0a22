# PKT, wrn40_2 -> wrn16_2. RepDistiller convention: CE 1 + 30000 * PKT, no KD term.
# Published: 74.54 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/pkt.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/wrn16_2.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
