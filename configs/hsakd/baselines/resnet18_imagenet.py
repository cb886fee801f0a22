# torchvision ResNet-18 on ImageNet with the HSAKD ImageNet recipe (SGD lr 0.1, wd 1e-4, 100 epochs,
# x0.1 at 30/60/90, batch 4 x 64). The README's "Student" column (69.75 top-1, 89.07 top-5) is
# torchvision's checkpoint (convert it with --layout torchvision). This is also the plain config
# the distilled ResNet-18 (configs/hsakd/imagenet/resnet34_resnet18*.py) is tested with.
_base_ = [
    '../../_base_/models/resnet18_imagenet.py', '../../_base_/datasets/imagenet_bs64_hsakd.py',
    '../../_base_/schedules/hsakd_imagenet_sgd_100e.py', '../../_base_/default_runtime.py'
]
