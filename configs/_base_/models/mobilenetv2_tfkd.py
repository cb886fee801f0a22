# MobileNetV2 of the Tf-KD CIFAR zoo (model/mobilenetv2.py; NOT RepDistiller's mobile_half):
# 2.369M params (2,369,380, 100 classes); 1x1 padded stem 32@34, stages 16@34, 24@17, 32@9, 64@5,
# 96@5, 160@5, 320@5, post block 1280@5, 1280-d embedding (Tf-KD model/*.py; docs/tfkd.md G10).
# The reference classifier is a 1x1 conv after pooling; here a Linear with the same default init.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV2TfKD', arch='mobilenetv2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default init (1x1 conv == Linear default)
    ))
