# FFSD common student: ResNet-20 of SJLeo/FFSD models/resnet_cifar.py (BasicBlock, widths 16-32-64,
# 1x1 conv + BN projection shortcuts; the same network as mmkd's CIFAR zoo resnet20), 0.278M params
# for 100 classes. Taps (the reference's extract_layers): layer1 16x32x32, layer2 32x16x16,
# layer3 64x8x8.
model = dict(
    type='FFSDClassifier',
    backbone=dict(type='ResNetCifar', arch='resnet20'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ),
    taps=('stage1', 'stage2', 'stage3'),
)
