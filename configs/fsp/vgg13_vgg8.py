# FSP, vgg13 -> vgg8. RepDistiller convention: 30 init epochs on FSP, then CE 1 alone (the reference's main-stage distillation loss is 0).
# Published: 70.23 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/fsp.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
