# VID, vgg13 -> vgg8. RepDistiller convention: CE 1 + 1 * VID, no KD term.
# Published: 71.23 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/vid_repdistiller.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
