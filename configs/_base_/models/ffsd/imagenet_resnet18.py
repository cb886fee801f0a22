# FFSD common student on ImageNet: ResNet-18 of SJLeo/FFSD models/resnet_imagenet.py (torchvision's
# architecture and init: kaiming-normal fan_out convs, BN 1/0, zero_init_residual=False, PyTorch's
# default nn.Linear init for fc), which is mmkd's ResNetImageNet; 11,689,512 params for 1000
# classes (torchvision resnet18). Taps (the reference's extract_layers layer1..layer4):
# stage1 64x56x56, stage2 128x28x28, stage3 256x14x14, stage4 512x7x7.
model = dict(
    type='FFSDClassifier',
    backbone=dict(type='ResNetImageNet', arch='resnet18'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ),
    taps=('stage1', 'stage2', 'stage3', 'stage4'),
)
