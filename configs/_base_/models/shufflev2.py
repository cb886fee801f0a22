# ShuffleV2 (net_size 1) of the RepDistiller/SemCKD CIFAR zoo: 1.356M params (100 classes),
# stem 24@32, stages 116@16, 232@8, 464@4, post-stage 1×1 conv 1024@4, 1024-d embedding
# (RepDistiller models/ShuffleNetv2.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ShuffleNetV2Cifar', net_size=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
