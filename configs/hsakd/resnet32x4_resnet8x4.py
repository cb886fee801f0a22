# HSAKD, resnet32x4 -> resnet8x4, from the frozen-backbone teacher ("Teacher").
# Published top-1 (HSAKD README.md): 77.26±0.14 (student baseline 72.95±0.24).
# The student exports as the plain resnet8x4; test it with
#   python tools/test.py configs/baselines/resnet8x4_cifar100.py \
#       work_dirs/hsakd/resnet32x4_resnet8x4/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/resnet8x4_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/resnet32x4_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/resnet32x4_frozen/epoch_100.pth',
)
