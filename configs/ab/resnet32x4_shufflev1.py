# AB, resnet32x4 -> shufflev1. RepDistiller convention: 30 init epochs on AB, then CE 1 alone (the reference's main-stage distillation loss is 0).
# Published: 73.55 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ab.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev1.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
