# resnet8 of the RepDistiller/SemCKD CIFAR zoo: 0.084M params (100 classes),
# stages 16@32, 32@16, 64@8, 64-d embedding (RepDistiller models/resnet.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifar', arch='resnet8'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
