# HSAKD ImageNet teacher ResNet-34, joint mode ("Teacher*", HSAKD train_teacher_*.py): backbone and
# 4 auxiliary branches from scratch, same schedule as the frozen mode (SGD lr 0.1, wd 1e-4, 100
# epochs, x0.1 at 30/60/90, batch 256 in total: tools/dist_train.sh THIS_CONFIG 4). Published
# top-1/top-5: 75.48 / 92.67.
_base_ = [
    '../../_base_/models/hsakd/resnet34_imagenet_aux.py',
    '../../_base_/datasets/imagenet_bs64_hsakd.py',
    '../../_base_/schedules/hsakd_imagenet_sgd_100e.py', '../../_base_/default_runtime.py'
]
model = dict(type='HSAKDTeacher', freeze_backbone=False, eval_rotations=True)
# Model selection as in the reference (HSAKD train_teacher_*.py; HSAKD issue #6): validation
# runs the 4 rotations; the final-head top-1 is logged as `accuracy/top1` (the number the README
# reports) and best_*.pth is the checkpoint with the best aux self-supervised accuracy
# (`ss_accuracy/top1`, max over the branches).
val_evaluator = [dict(type='Accuracy', topk=(1, 5)), dict(type='RotationSSAccuracy')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='ss_accuracy/top1'))
