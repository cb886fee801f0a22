# The HSAKD ImageNet recipe (HSAKD train_*_imagenet.py): SGD lr 0.1, momentum 0.9,
# no Nesterov, wd 1e-4, 100 epochs, x0.1 after epochs 30, 60 and 90, batch 256 in total (split
# over the GPUs: 4 x 64 with configs/_base_/datasets/imagenet_bs64_hsakd.py). Teachers (frozen and
# joint) and the student use the same schedule.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=False))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# `--auto-scale-lr` scales lr linearly from this total batch
auto_scale_lr = dict(base_batch_size=256)
