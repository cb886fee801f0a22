# Tiny-ImageNet-200 as the Tf-KD reference loads it (data_loader.py, dataset "tiny_imagenet"):
# 64x64 images, no crop; RandomRotation(20) then horizontal flip; Normalize(mean (0.4802, 0.4481,
# 0.3975), std (0.2302, 0.2265, 0.2262)) on the device. The reference reads val/ as an
# ImageFolder (re-organised val); TinyImageNet reads both layouts. 200 classes: configs set
# head.num_classes=200. Data in data/tiny_imagenet/tiny-imagenet-200 (downloaded on first use).
# The CIFAR architectures keep their stride-1 stems (global pooling makes them accept 64x64).
dataset_type = 'TinyImageNet'
data_root = 'data/tiny_imagenet'
data_preprocessor = dict(
    num_classes=200,
    mean=[0.4802 * 255, 0.4481 * 255, 0.3975 * 255],
    std=[0.2302 * 255, 0.2265 * 255, 0.2262 * 255],
    to_rgb=True,  # LoadImageFromFile decodes to BGR; the constants are RGB
)

train_pipeline = [
    dict(type='SeedAugmentation'),
    dict(type='LoadImageFromFile'),
    dict(type='RandomRotation', degrees=20, interpolation='nearest', fill=0),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='EpochSeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
