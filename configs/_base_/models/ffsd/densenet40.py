# FFSD common student: DenseNet-40-12 of SJLeo/FFSD models/densenet_cifar.py (`--model densenet`:
# basic blocks, no bottleneck, compression 1, AvgPool(8) head; not the zoo's DenseNet). Taps (the
# reference's extract_layers): dense1 168x32x32, dense2 312x16x16, relu (after the final BN-ReLU)
# 456x8x8.
model = dict(
    type='FFSDClassifier',
    backbone=dict(type='FFSDDenseNet', depth=40, growth_rate=12, compression_rate=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=456,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ),
    taps=('stage1', 'stage2', 'final'),
)
