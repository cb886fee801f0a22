# FFSD common student on ImageNet: ResNet-34 of SJLeo/FFSD models/resnet_imagenet.py (init, head and
# taps as ResNet-18's, imagenet_resnet18.py), mmkd's ResNetImageNet; 21,797,672 params for 1000
# classes (torchvision resnet34). Taps (the reference's extract_layers layer1..layer4):
# stage1 64x56x56, stage2 128x28x28, stage3 256x14x14, stage4 512x7x7.
_base_ = ['./imagenet_resnet18.py']
model = dict(backbone=dict(arch='resnet34'))
