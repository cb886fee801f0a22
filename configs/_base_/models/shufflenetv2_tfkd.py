# ShuffleNetV2 1x of the Tf-KD CIFAR zoo (model/shufflenetv2.py; NOT RepDistiller's ShuffleV2):
# 1.361M params (1,360,896, 100 classes); stem 24@32 (conv-BN, no ReLU/max-pool), stages 116@16,
# 232@8, 464@4, post block 1024@4, 1024-d embedding (Tf-KD model/*.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ShuffleNetV2TfKD', arch='1.0x'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
