# HSAKD*, vgg13 -> mobilenetv2, from the jointly trained teacher ("Teacher*").
# Published top-1 (HSAKD README.md): 79.27±0.12 (student baseline 73.51±0.26).
# The student exports as the plain mobilenetv2; test it with
#   python tools/test.py configs/hsakd/baselines/mobilenetv2_cifar100.py \
#       work_dirs/hsakd/vgg13_mobilenetv2_star/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/mobilenetv2_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/vgg13_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/vgg13_joint/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (train_student_cifar.sh --init-lr 0.01)
optim_wrapper = dict(optimizer=dict(lr=0.01))
