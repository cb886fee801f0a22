# ResNet-50 for CIFAR (RepDistiller models/resnetv2.py = Tf-KD model/resnet.py, same keys and
# shapes): 23.705M params (23,705,252, 100 classes); stem 64@32, stages 256@32, 512@16, 1024@8,
# 2048@4, 2048-d embedding; preact changes f1-f4 (RepDistiller models/resnetv2.py).
# init='repdistiller' (kaiming fan_out convs, BN 1/0) for the RepDistiller teacher; Tf-KD's copy
# uses PyTorch's default init: override with model.backbone.init='tfkd'.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetV2Cifar', arch='resnet50', init='repdistiller'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
