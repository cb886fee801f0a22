# HSAKD, resnet32x4 -> shufflev2, from the frozen-backbone teacher ("Teacher").
# Published top-1 (HSAKD README.md): 79.93±0.11 (student baseline 72.96±0.33).
# The student exports as the plain shufflev2; test it with
#   python tools/test.py configs/baselines/shufflev2_cifar100.py \
#       work_dirs/hsakd/resnet32x4_shufflev2/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/shufflev2_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/resnet32x4_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/resnet32x4_frozen/epoch_100.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (train_student_cifar.sh --init-lr 0.01)
optim_wrapper = dict(optimizer=dict(lr=0.01))
