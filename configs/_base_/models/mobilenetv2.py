# MobileNetV2 (mobile_half: T=6, width 0.5) of the RepDistiller/SemCKD CIFAR zoo: 0.813M params
# (100 classes), stem 16@16, stages 12@16, 16@8, 48@4, 160@2, post-stage 1×1 conv 1280@2,
# 1280-d embedding (RepDistiller models/mobilenetv2.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV2Cifar', width_mult=0.5, expand_ratio=6),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # reference: Linear weight ~ N(0, 0.01), bias 0
        init_cfg=dict(type='Normal', layer='Linear', std=0.01),
    ))
