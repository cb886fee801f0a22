# HSAKD ImageNet teacher ResNet-34, joint mode ("Teacher*", specs/hsakd.md §3): backbone and 4
# auxiliary branches from scratch, same schedule as the frozen mode (SGD lr 0.1, wd 1e-4, 100
# epochs, x0.1 at 30/60/90, batch 256 in total: tools/dist_train.sh THIS_CONFIG 4).
# Published top-1/top-5: 75.48 / 92.67.
_base_ = [
    '../../_base_/models/hsakd/resnet34_imagenet_aux.py',
    '../../_base_/datasets/imagenet_bs64_hsakd.py',
    '../../_base_/schedules/hsakd_imagenet_sgd_100e.py', '../../_base_/default_runtime.py'
]
model = dict(type='HSAKDTeacher', freeze_backbone=False)
