# torchvision ResNet-34 (ImageNet): 21.798M params (21,797,672, 1000 classes); at 224x224 the
# stem (after max-pool) is 64@56, stages 64@56, 128@28, 256@14, 512@7, 512-d embedding.
# Module names are torchvision's: checkpoints convert by prefix (fc -> head.fc).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetImageNet', arch='resnet34'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None,  # torchvision: PyTorch's default nn.Linear init
    ))
