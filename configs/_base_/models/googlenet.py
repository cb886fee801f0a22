# GoogLeNet of the Tf-KD CIFAR zoo (model/googlenet.py, single 3x3 stem): 6.259M params
# (6,258,500, 100 classes); stem 192@32, stages 480@32 (3a-3b), 832@16 (4a-4e), 1024@8 (5a-5b),
# 1024-d embedding (Tf-KD model/*.py). GAP -> Dropout2d(0.4) -> Linear as in the reference.
# bn_eps_quirk=True keeps the reference's BatchNorm2d(n5x5, n5x5) (eps = n5x5) in every
# "5x5" branch.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='GoogLeNetCifar', arch='googlenet', bn_eps_quirk=True),
    neck=dict(type='GlobalAveragePoolingDropout', p=0.4, dropout_type='dropout2d'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # reference: PyTorch's default nn.Linear init
    ))
