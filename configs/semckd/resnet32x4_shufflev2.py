# SemCKD, resnet32x4 -> shufflev2. SemCKD convention: CE 1 + KD 1 + 400 * SemCKD.
# Published: 77.62 top-1 (SemCKD table, specs/semckd_and_classic_kd.md §5.1).
_base_ = ['../_base_/methods/semckd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev2.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
