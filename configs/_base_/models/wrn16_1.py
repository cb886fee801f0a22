# wrn_16_1 of the RepDistiller/SemCKD CIFAR zoo: 0.181M params (100 classes), stem 16@32,
# stages 16@32, 32@16, 64@8 (raw residual sums), final BN-ReLU 64@8, 64-d embedding
# (RepDistiller models/wrn.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='WideResNetCifar', arch='wrn16_1'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # reference: PyTorch's default nn.Linear weight init (kaiming_uniform_, a=sqrt(5), fan_in,
        # leaky_relu) with the bias zeroed; this Kaiming init_cfg is exactly that
        init_cfg=dict(
            type='Kaiming',
            layer='Linear',
            a=2.23606797749979,  # sqrt(5)
            mode='fan_in',
            nonlinearity='leaky_relu',
            distribution='uniform',
            bias=0),
    ))
