# FFSD common student: the CIFAR GoogLeNet of SJLeo/FFSD models/googlenet_cifar.py (the "5x5"
# branch as two 3x3 convs, AvgPool(8) head, no dropout; not the Tf-KD GoogLeNet of the zoo).
# Taps (the reference's extract_layers): inception_b3 480x32x32, inception_e4 832x16x16,
# inception_b5 1024x8x8.
model = dict(
    type='FFSDClassifier',
    backbone=dict(type='FFSDGoogLeNet'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ),
    taps=('stage1', 'stage2', 'stage3'),
)
