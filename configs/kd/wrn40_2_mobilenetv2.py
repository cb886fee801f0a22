# KD, wrn40_2 -> mobilenetv2. SemCKD convention: CE 1 + KD 1.
# Published: 68.70 top-1 (SemCKD table, specs/semckd_and_classic_kd.md §5.1).
_base_ = ['../_base_/methods/kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/wrn40_2.py'),
    teacher_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
