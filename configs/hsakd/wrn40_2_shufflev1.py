# HSAKD, wrn40_2 -> shufflev1, from the frozen-backbone teacher ("Teacher").
# Published top-1 (HSAKD README.md): 78.51±0.20 (student baseline 71.74±0.35).
# The student exports as the plain shufflev1; test it with
#   python tools/test.py configs/baselines/shufflev1_cifar100.py \
#       work_dirs/hsakd/wrn40_2_shufflev1/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/shufflev1_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/wrn40_2_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/wrn40_2_frozen/epoch_100.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (train_student_cifar.sh --init-lr 0.01)
optim_wrapper = dict(optimizer=dict(lr=0.01))
