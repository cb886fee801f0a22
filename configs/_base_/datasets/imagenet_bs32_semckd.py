# ImageNet-1k as DefangChen/SemCKD trains it (dataset/imagenet_dali.py, dataset/imagenet.py):
# random-resized crop to 224 with area 0.1-1.0 and aspect ratio 0.8-1.25 + horizontal flip for
# training, resize of the shorter side to 256 + centre crop 224 for validation, ImageNet mean/std
# (normalisation on the device). Batch 32 per GPU: `tools/dist_train.sh CONFIG 8` gives the
# reference's 256. The reference decodes with NVIDIA DALI on the GPU (--dali gpu); mmkd ships the
# CPU pipeline only (same augmentation, see docs/unixkd.md).
# mmpretrain's `ImageNet` dataset, either format:
#   class folders  data/imagenet/{train,val}/<wnid>/*.JPEG (1000 folders each), or
#   annotation files  data/imagenet/meta/{train,val}.txt, lines `<path under train|val/> <label>`
#   (used whenever they exist).
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
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.1, 1.0),
        aspect_ratio_range=(0.8, 1.25)),
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
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='EpochSeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
