# CRD, resnet50 -> vgg8. RepDistiller convention: CE 1 + 0.8 * CRD, no KD term.
# Published: 74.30 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/crd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/baselines/resnet50_cifar100/epoch_240.pth',
)
