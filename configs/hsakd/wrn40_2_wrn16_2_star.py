# HSAKD*, wrn40_2 -> wrn16_2, from the jointly trained teacher ("Teacher*").
# Published top-1 (HSAKD README.md): 78.67±0.20 (student baseline 73.57±0.23).
# The student exports as the plain wrn16_2; test it with
#   python tools/test.py configs/baselines/wrn16_2_cifar100.py \
#       work_dirs/hsakd/wrn40_2_wrn16_2_star/student_best.pth
_base_ = ['../_base_/methods/hsakd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/hsakd/wrn16_2_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/wrn40_2_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/wrn40_2_joint/epoch_240.pth',
)
