# MobileNetV2 (mobile_half: T=6, width 0.5) of UNIXKD (xuguodong03/UNIXKD models/mobilenetv2.py):
# RepDistiller's CIFAR MobileNetV2 with a bare nn.Linear classifier, so UNIXKD checkpoints hold
# classifier.weight / classifier.bias (RepDistiller: classifier.0.*). 0.813M params (100 classes),
# stride-2 stem 16@16, stages 12@16, 16@8, 48@4, 160@2, 1x1 conv 1280@2, 1280-d embedding.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV2UNIXKD', width_mult=0.5, expand_ratio=6),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # reference: Linear weight ~ N(0, 0.01), bias 0
        init_cfg=dict(type='Normal', layer='Linear', std=0.01),
    ))
