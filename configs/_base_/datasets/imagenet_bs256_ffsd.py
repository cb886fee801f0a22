# ImageNet-1k as FFSD trains it (SJLeo/FFSD data/imagenet.py; ImageNetTrainer.py forces batch 256
# for train and test): torchvision RandomResizedCrop(224) (area 0.08-1, aspect 3/4-4/3,
# bilinear) + horizontal flip (+ a Resize(224) of the 224 crop, a no-op) for training;
# Resize(256) of the shorter side + CenterCrop(224) for validation (bilinear); ImageNet mean/std
# (normalisation on the device). Batch 256 in one process as ImageNetTrainer.py (its
# "Distribute" variant is nn.DataParallel over 2 GPUs: still one process and batch 256); for
# N GPUs use `tools/dist_train.sh CONFIG N` with train_dataloader.batch_size=256/N.
# The dataset and loaders are those of imagenet_bs64_hsakd.py (mmpretrain's `ImageNet` dataset:
# class folders data/imagenet/{train,val}/<wnid>/*.JPEG, or annotation files
# data/imagenet/meta/{train,val}.txt); the pipelines and batch differ.
_base_ = ['./imagenet_bs64_hsakd.py']

train_pipeline = [
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.08, 1.0),
        aspect_ratio_range=(3. / 4., 4. / 3.),
        interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=256, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
