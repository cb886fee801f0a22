# CIFAR-100 as in RepDistiller/SemCKD (RepDistiller/SemCKD train_teacher.py, train_student.py):
# batch 64 on one GPU, RandomCrop(32, pad 4) + horizontal flip; normalisation runs on the device
# (data preprocessor). The data lands in data/cifar100/cifar-100-python (downloaded on first use
# when online).
dataset_type = 'CIFAR100'
data_root = 'data/cifar100'
data_preprocessor = dict(
    num_classes=100,
    # mean (0.5071, 0.4867, 0.4408), std (0.2675, 0.2565, 0.2761) in 0-255 pixel units
    mean=[129.3105, 124.1085, 112.404],
    std=[68.2125, 65.4075, 70.4055],
    to_rgb=False,  # the pickles hold RGB already
)

train_pipeline = [
    # augmentation randomness from (seed, epoch, sample): exact resume, new crops every epoch
    dict(type='SeedAugmentation'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

# default_collate stacks the images into one tensor in the loader worker: mmengine's default
# pseudo_collate hands the main process 64 separate shared-memory tensors per batch, ~13 ms of
# main-process CPU per batch on 2 cores vs ~2 ms (docs/benchmarks.md); the values are the same
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='EpochSeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
