# FFSD common student: WRN-16-2 of SJLeo/FFSD models/wideresnet_cifar.py (wideresnet1602: dropout 0,
# biased convs, stride on the block's second conv, final BN momentum 0.9 -- a reference quirk
# kept here; not the RepDistiller WRN of configs/_base_/models/wrn16_2.py). Taps (the reference's
# extract_layers): layer1 32x32x32, layer2 64x16x16, relu1 (after the final BN-ReLU) 128x8x8.
model = dict(
    type='FFSDClassifier',
    backbone=dict(type='FFSDWideResNet', arch='wrn16_2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ),
    taps=('stage1', 'stage2', 'final'),
)
