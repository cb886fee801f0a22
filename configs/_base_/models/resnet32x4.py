# resnet32x4 of the RepDistiller/SemCKD CIFAR zoo: 7.434M params (100 classes), stem 32@32,
# stages 64@32, 128@16, 256@8, 256-d embedding (RepDistiller models/resnet.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifar', arch='resnet32x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
