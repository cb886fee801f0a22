# Tiny-ImageNet (200 classes; train 100,000 / val 10,000 images of 64×64) downsized to 32×32, as
# HSAKD's linear evaluation uses it (HSAKD eval_rep.py): train
# RandomResizedCrop(32) + flip, val Resize(32); ImageNet mean/std. Images are decoded and resized
# with Pillow (antialiased bilinear), as torchvision's ImageFolder pipeline does.
# Files: data/tiny_imagenet/tiny-imagenet-200/{wnids.txt, train/<wnid>/images/*.JPEG, val/...};
# val/ may be the official layout or the re-organised one (one folder per class). Downloaded on
# first use when online (http://cs231n.stanford.edu/tiny-imagenet-200.zip, 237 MB).
dataset_type = 'TinyImageNet'
data_root = 'data/tiny_imagenet'
data_preprocessor = dict(
    num_classes=200,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # LoadImageFromFile gives BGR
)

train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='RandomResizedCrop', scale=32, backend='pillow', interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='Resize', scale=(32, 32), backend='pillow', interpolation='bilinear'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='EpochSeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
