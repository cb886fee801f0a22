# ShuffleV1 of the RepDistiller/SemCKD CIFAR zoo: 0.949M params (100 classes), stem 24@32,
# stages 240@16, 480@8, 960@4, 960-d embedding (RepDistiller models/ShuffleNetv1.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ShuffleNetV1Cifar', out_planes=(240, 480, 960), num_blocks=(4, 8, 4), groups=3),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=960,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
