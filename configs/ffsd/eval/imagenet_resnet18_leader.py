# The FFSD ImageNet student leader (ResNet-18 + trans-fusion head) as a plain classifier on
# ImageNet-1k: what tools/test.py evaluates student_best.pth / student_last.pth of
# configs/ffsd/imagenet/resnet18.py with, and converted reference leaders
# (tools/model_converters/convert_reference.py --layout ffsd). Published leader top-1 (SJLeo/FFSD
# README): 70.87. Training it alone is the vanilla baseline with FFSD's ImageNet recipe for one
# network (SGD lr 0.1 Nesterov wd 1e-4, 4-epoch per-iteration warm-up, x0.1 at epochs 30/60/80
# (1-based), 89 epochs, batch 256).
_base_ = [
    '../../_base_/models/ffsd/imagenet_resnet18_leader.py',
    '../../_base_/datasets/imagenet_bs256_ffsd.py', '../../_base_/default_runtime.py'
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True))
param_scheduler = [
    dict(
        type='FFSDWarmupLR',
        warmup_epochs=5,
        reference_epoch_length=5004,
        by_epoch=True,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        milestones=[29, 59, 79],
        gamma=0.1,
        by_epoch=True,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=89, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
