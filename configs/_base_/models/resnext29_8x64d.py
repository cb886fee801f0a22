# ResNeXt-29 8x64d of the Tf-KD CIFAR zoo (model/resnext.py, prlz77): 34.519M params (34,518,948,
# 100 classes; the Tf-KD README says 34.53M); stem 64@32, stages 256@32, 512@16, 1024@8,
# 1024-d embedding; preact changes f1-f3 (Tf-KD model/*.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNeXtCifar', arch='resnext29_8x64d'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # reference: classifier weight kaiming_normal (fan_in, gain sqrt(2)), bias 0
        init_cfg=dict(
            type='Kaiming',
            layer='Linear',
            mode='fan_in',
            nonlinearity='relu',
            distribution='normal',
            bias=0),
    ))
