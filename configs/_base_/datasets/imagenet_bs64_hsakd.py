# ImageNet-1k as in HSAKD's train_*_imagenet.py (HSAKD train_teacher_*.py): RandomResizedCrop(224) +
# horizontal flip for training, Resize(256) + CenterCrop(224) for validation, ImageNet mean/std
# (normalisation on the device). Batch 64 per GPU: `tools/dist_train.sh CONFIG 4` gives the
# reference's 256 in total. mmpretrain's `ImageNet` dataset: data/imagenet/{train,val}/<wnid>/*.JPEG
# (class folders), or flat folders with data/imagenet/meta/{train,val}.txt.
# (The reference's val loader is not distributed: every rank evaluates the full set. Here the
# ranks share it, which gives the same number.)
dataset_type = 'ImageNet'
data_root = 'data/imagenet'
data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # images are read as BGR
)

train_pipeline = [
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='EpochSeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
