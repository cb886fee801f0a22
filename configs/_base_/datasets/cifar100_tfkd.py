# CIFAR-100 as the Tf-KD reference loads it (Tf-KD data_loader.py, augmentation "yes"):
# batch 128 (the per-model batch is set by each config), RandomCrop(32, pad 4) + horizontal flip +
# RandomRotation(15) (torchvision's: uniform angle in [-15, 15], nearest, zero fill); ToTensor +
# Normalize(mean (0.50708, 0.48655, 0.44092), std (0.26733, 0.25644, 0.27615)) runs on the device
# (data preprocessor, the same values in 0-255 pixel units). The test set is only normalised.
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    # the reference's constants (data_loader.py) x 255
    mean=[0.5070751592371323 * 255, 0.48654887331495095 * 255, 0.4409178433670343 * 255],
    std=[0.2673342858792401 * 255, 0.2564384629170883 * 255, 0.27615047132568404 * 255],
    to_rgb=False,  # the pickles hold RGB already
)

train_pipeline = [
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomRotation', degrees=15, interpolation='nearest', fill=0),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

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
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
