# HSAKD, resnet56 -> resnet20, from the frozen-backbone teacher ("Teacher").
# Published top-1 (HSAKD README.md): 72.58±0.33 (student baseline 69.62±0.26).
# The student exports as the plain resnet20; test it with
#   python tools/test.py configs/baselines/resnet20_cifar100.py \
#       work_dirs/hsakd/resnet56_resnet20/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/resnet20_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/resnet56_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/resnet56_frozen/epoch_100.pth',
)
