# vgg19 (BN) of the RepDistiller/SemCKD CIFAR zoo: 20.087M params (100 classes), stem 64@32,
# stages 128@16, 256@8, 512@4, 512@4, 512-d embedding (RepDistiller models/vgg.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='VGGCifar', arch='vgg19'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # reference: Linear weight ~ N(0, 0.01), bias 0
        init_cfg=dict(type='Normal', layer='Linear', std=0.01),
    ))
