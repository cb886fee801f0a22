# HSAKD teacher resnet32x4, joint mode ("Teacher*", HSAKD train_teacher_*.py): backbone and
# auxiliary branches trained together from scratch on the 4-rotation batch, CE(final[0::4], y) +
# sum_l CE(aux_l, 4y + r); 240 epochs, x0.1 at 150/180/210. Published final-head top-1: 83.73
# (README "Teacher*" column of the HSAKD README.md). Writes
# work_dirs/hsakd/teachers/resnet32x4_joint/epoch_240.pth (the HSAKD* pair configs use it).
_base_ = [
    '../../_base_/models/hsakd/resnet32x4_aux.py', '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/hsakd_cifar_sgd_240e.py', '../../_base_/default_runtime.py'
]
model = dict(type='HSAKDTeacher', freeze_backbone=False, eval_rotations=True)
# Model selection as in the reference (HSAKD train_teacher_*.py; HSAKD issue #6): validation
# runs the 4 rotations; the final-head top-1 is logged as `accuracy/top1` (the number the README
# reports) and best_*.pth is the checkpoint with the best aux self-supervised accuracy
# (`ss_accuracy/top1`, max over the branches).
val_evaluator = [dict(type='Accuracy', topk=(1, 5)), dict(type='RotationSSAccuracy')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='ss_accuracy/top1'))
