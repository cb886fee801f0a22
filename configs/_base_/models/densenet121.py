# DenseNet-121 (BC, k=32) of the Tf-KD CIFAR zoo (model/densenet.py): 7.049M params (7,048,548,
# 100 classes); stem 64@32 (conv only), dense blocks 256@32, 512@16, 1024@8, 1024@4, post block
# (final BN-ReLU) 1024@4, 1024-d embedding (Tf-KD model/*.py).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='DenseNetCifar', arch='densenet121'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
