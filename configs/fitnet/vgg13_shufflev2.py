# FitNet, vgg13 -> shufflev2. SemCKD convention: CE 1 + KD 1 + 100 * FitNet.
# Published: 75.44 top-1 (SemCKD table, specs/semckd_and_classic_kd.md §5.1).
_base_ = ['../_base_/methods/fitnet.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev2.py'),
    teacher=dict(cfg_path='configs/_base_/models/vgg13.py'),
    teacher_ckpt='work_dirs/baselines/vgg13_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
