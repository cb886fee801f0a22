# ResNet-18 of the Tf-KD CIFAR zoo (kuangliu layout, Tf-KD model/resnet.py): 11.220M params
# (11,220,132, 100 classes); stem 64@32, stages 64@32, 128@16, 256@8, 512@4, 512-d embedding
# (Tf-KD model/*.py). init='tfkd': Tf-KD keeps PyTorch's default init (RepDistiller's resnetv2.py
# would use kaiming fan_out: init='repdistiller').
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetV2Cifar', arch='resnet18', init='tfkd'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
