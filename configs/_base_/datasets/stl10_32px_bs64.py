# STL-10 (10 classes, the 5,000 labelled training images / 8,000 test images) downsized to 32×32,
# as HSAKD's linear evaluation uses it (HSAKD eval_rep.py): train
# RandomResizedCrop(32) + flip, test Resize(32); Normalize mean = std = 0.5. The resizes use
# Pillow (antialiased bilinear), as torchvision does on PIL images.
# Files: data/stl10/stl10_binary/{train,test}_{X,y}.bin + class_names.txt (downloaded on first
# use when online: http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz, 2.5 GB).
dataset_type = 'STL10'
data_root = 'data/stl10'
data_preprocessor = dict(
    num_classes=10,
    mean=[127.5, 127.5, 127.5],  # (x / 255 - 0.5) / 0.5
    std=[127.5, 127.5, 127.5],
    to_rgb=False,  # the binary files hold RGB
)

train_pipeline = [
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='RandomResizedCrop', scale=32, backend='pillow', interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
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
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
