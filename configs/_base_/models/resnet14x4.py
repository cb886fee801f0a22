# resnet14x4 of UNIXKD (xuguodong03/UNIXKD models/resnet.py: ResNet(14, [32, 64, 128, 256]),
# basic blocks, n = 2 per stage): 2.784M params (2,783,620, 100 classes); stem 32@32, stages
# 64@32, 128@16, 256@8, 256-d embedding. Reference keys map like every CIFAR ResNet (fc -> head.fc).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifar', depth=14, num_filters=(32, 64, 128, 256)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
