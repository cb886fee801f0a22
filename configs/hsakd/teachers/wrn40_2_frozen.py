# HSAKD teacher wrn40_2, frozen-backbone mode ("Teacher", HSAKD train_teacher_*.py): the trained
# plain wrn40_2 (backbone + head, loaded from `backbone_ckpt`, kept in eval mode, no gradients) +
# its auxiliary branches trained on the 4-rotation batch with CE(joint labels 4y + r); 100 epochs,
# x0.1 at 30/60/90. Published final-head top-1: 76.45 (README "Teacher" column of the HSAKD
# README.md). Writes work_dirs/hsakd/teachers/wrn40_2_frozen/epoch_100.pth, which the HSAKD pair
# configs distil from (the last epoch, as the reference README does; its _best is picked by aux
# accuracy, HSAKD issue #6).
_base_ = [
    '../../_base_/models/hsakd/wrn40_2_aux.py', '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/hsakd_cifar_sgd_100e_frozen.py', '../../_base_/default_runtime.py'
]
model = dict(
    type='HSAKDTeacher',
    freeze_backbone=True,
    eval_rotations=True,
    # python tools/train.py configs/baselines/wrn40_2_cifar100.py (or a converted CRD teacher)
    backbone_ckpt='work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth',
)
# Model selection as in the reference (HSAKD train_teacher_*.py; HSAKD issue #6): validation
# runs the 4 rotations; the final-head top-1 is logged as `accuracy/top1` (the number the README
# reports) and best_*.pth is the checkpoint with the best aux self-supervised accuracy
# (`ss_accuracy/top1`, max over the branches).
val_evaluator = [dict(type='Accuracy', topk=(1, 5)), dict(type='RotationSSAccuracy')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='ss_accuracy/top1'))
