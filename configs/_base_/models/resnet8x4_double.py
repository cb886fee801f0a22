# resnet8x4_double of SemCKD (HKD's proxy teacher): widths 64/128/256/512, 4.875M params
# (SemCKD distiller_zoo/HKD.py, scripts/run_cifar_distill.sh).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifar', arch='resnet8x4_double'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
