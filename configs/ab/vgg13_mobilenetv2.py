# AB, vgg13 -> mobilenetv2. RepDistiller convention: 30 init epochs on AB, then CE 1 alone (the reference's main-stage distillation loss is 0).
# Published: 66.06 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ab.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
