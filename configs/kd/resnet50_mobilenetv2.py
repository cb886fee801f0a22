# KD, resnet50 -> mobilenetv2. RepDistiller convention: CE 0.1 + KD 0.9.
# Published: 67.35 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/kd_repdistiller.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/baselines/resnet50_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
