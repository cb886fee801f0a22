# ImageNet-1k as DefangChen/SemCKD trains it (dataset/imagenet_dali.py, dataset/imagenet.py):
# random-resized crop to 224 with area 0.1-1.0 and aspect ratio 0.8-1.25 + horizontal flip for
# training, resize of the shorter side to 256 + centre crop 224 for validation, ImageNet mean/std
# (normalisation on the device). Batch 32 per GPU: `tools/dist_train.sh CONFIG 8` gives the
# reference's 256. The reference decodes with NVIDIA DALI on the GPU (--dali gpu); mmkd ships the
# CPU pipeline only (same augmentation, see docs/unixkd.md).
# The dataset, validation pipeline and loaders are those of imagenet_bs64_hsakd.py (mmpretrain's
# `ImageNet` dataset: class folders data/imagenet/{train,val}/<wnid>/*.JPEG, or annotation files
# data/imagenet/meta/{train,val}.txt, used whenever they exist); the crop and batch differ.
_base_ = ['./imagenet_bs64_hsakd.py']

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

train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
