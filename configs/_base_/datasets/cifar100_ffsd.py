# CIFAR-100 as FFSD trains it (SJLeo/FFSD data/cifar100.py; options/options.py): batch 128 for
# train and test, reflect-pad 4 + random 32x32 crop + horizontal flip; normalisation on the device
# with mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762) (0-255 units below).
_base_ = ['./cifar100_bs64.py']
data_preprocessor = dict(
    num_classes=100,
    mean=[129.3105, 124.0575, 112.4295],
    std=[68.1615, 65.382, 70.431],
    to_rgb=False,
)
train_pipeline = [
    dict(type='SeedAugmentation'),
    # torchvision RandomCrop(32, padding=4, padding_mode='reflect'): mmpretrain's RandomCrop
    # would zero-pad its `padding` whatever padding_mode says, so the reflection is done first
    dict(type='PadBorder', padding=4, padding_mode='reflect'),
    dict(type='RandomCrop', crop_size=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
