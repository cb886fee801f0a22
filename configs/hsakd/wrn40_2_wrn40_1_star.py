# HSAKD*, wrn40_2 -> wrn40_1, from the jointly trained teacher ("Teacher*").
# Published top-1 (HSAKD README.md): 78.12±0.25 (student baseline 71.95±0.59).
# The student exports as the plain wrn40_1; test it with
#   python tools/test.py configs/baselines/wrn40_1_cifar100.py \
#       work_dirs/hsakd/wrn40_2_wrn40_1_star/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/wrn40_1_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/wrn40_2_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/wrn40_2_joint/epoch_240.pth',
)
