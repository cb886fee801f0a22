# scikit-learn's handwritten digits at 32x32 (mmkd.datasets.Digits): a small real dataset that
# ships inside a pip package, for the main job and smoke runs. 1,437 train / 360 test images.
dataset_type = 'Digits'
data_preprocessor = dict(
    num_classes=10,
    mean=[77.85, 77.85, 77.85],  # measured on the whole set (grey images, 0-255)
    std=[95.85, 95.85, 95.85],
    to_rgb=False,
)
train_pipeline = [
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='RandomCrop', crop_size=32, padding=2),  # digits must not be flipped
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline),
    sampler=dict(type='EpochSeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type=dataset_type, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
