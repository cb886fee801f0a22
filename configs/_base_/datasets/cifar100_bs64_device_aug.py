# CIFAR-100 as cifar100_bs64.py, with the crop and flip done batched on the training device
# (opt-in fast path): the loader draws each sample's crop offset and flip from (seed, epoch,
# sample) exactly as RandomCrop(32, pad 4) + RandomFlip(0.5) would, and
# BatchAugmentClsDataPreprocessor applies them to the whole uint8 batch. Same images, bit for bit,
# as the per-sample pipeline (tests/datasets/test_device_augmentation.py); exact resume holds.
# Use: `_base_ = [..., '../_base_/datasets/cifar100_bs64_device_aug.py']` or, for any CIFAR config,
# tools/train.py CONFIG --device-aug.
_base_ = ['./cifar100_bs64.py']
data_preprocessor = dict(type='BatchAugmentClsDataPreprocessor', crop_size=32, padding=4)
train_pipeline = [
    dict(type='SeedAugmentation'),
    dict(type='DrawCropFlip', crop_size=32, padding=4, flip_prob=0.5),
    dict(type='PackInputs', meta_keys=('sample_idx', 'crop_offset', 'flip')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
