# HSAKD ImageNet teacher ResNet-34, frozen-backbone mode ("Teacher", HSAKD train_teacher_*.py,
# train_*_imagenet.py): torchvision's resnet34-333f7ec4.pth (backbone + fc, frozen, eval mode) + 4
# auxiliary branches (Linear(512, 4000)) trained on the 4-rotation batch; SGD lr 0.1, wd 1e-4, no
# Nesterov, 100 epochs, x0.1 at 30/60/90, batch 256 in total (tools/dist_train.sh THIS_CONFIG 4).
# Published top-1/top-5: 73.31 / 91.42. Convert the torchvision weights first:
#   python tools/model_converters/convert_reference.py resnet34-333f7ec4.pth \
#       work_dirs/pretrained/resnet34_imagenet_torchvision.pth --layout torchvision \
#       --config configs/_base_/models/resnet34_imagenet.py
_base_ = [
    '../../_base_/models/hsakd/resnet34_imagenet_aux.py',
    '../../_base_/datasets/imagenet_bs64_hsakd.py',
    '../../_base_/schedules/hsakd_imagenet_sgd_100e.py', '../../_base_/default_runtime.py'
]
model = dict(
    type='HSAKDTeacher',
    freeze_backbone=True,
    eval_rotations=True,
    backbone_ckpt='work_dirs/pretrained/resnet34_imagenet_torchvision.pth',
)
# Model selection as in the reference (HSAKD train_teacher_*.py; HSAKD issue #6): validation
# runs the 4 rotations; the final-head top-1 is logged as `accuracy/top1` (the number the README
# reports) and best_*.pth is the checkpoint with the best aux self-supervised accuracy
# (`ss_accuracy/top1`, max over the branches).
val_evaluator = [dict(type='Accuracy', topk=(1, 5)), dict(type='RotationSSAccuracy')]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='ss_accuracy/top1'))
