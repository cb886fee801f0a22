# CIFAR-100 as cifar100_bs64.py, with the whole training split held on the training device as one
# [50000, 32, 32, 3] uint8 tensor (opt-in fast path): the loader only draws each sample's crop
# offset and flip from (seed, epoch, sample), as RandomCrop(32, pad 4) + RandomFlip(0.5) would, and
# BatchAugmentClsDataPreprocessor(device_data=True) gathers the batch's images by index and pads,
# crops, flips and normalises them on the device. Same images, bit for bit, as the per-sample
# pipeline (tests/datasets/test_device_data.py); exact resume holds.
# Use: `_base_ = [..., '../_base_/datasets/cifar100_bs64_device_data.py']` or, for any CIFAR
# config, tools/train.py CONFIG --device-data.
_base_ = ['./cifar100_bs64.py']
data_preprocessor = dict(type='BatchAugmentClsDataPreprocessor', crop_size=32, padding=4,
                         device_data=True)
train_pipeline = [
    dict(type='SeedAugmentation'),
    dict(type='DrawCropFlip', crop_size=32, padding=4, flip_prob=0.5),
    dict(type='DropImage'),
    dict(type='PackInputs', meta_keys=('sample_idx', 'crop_offset', 'flip')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = [dict(type='DeviceDataHook')]
