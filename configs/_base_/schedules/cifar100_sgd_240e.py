# The RepDistiller/SemCKD CIFAR recipe (RepDistiller/SemCKD train_teacher.py, train_student.py): 240
# epochs, SGD momentum 0.9 (no Nesterov), wd 5e-4, lr 0.05 (configs of MobileNetV2/ShuffleNet set
# 0.01), x0.1 after epochs 150, 180 and 210. Tuned for a total batch of 64 on one GPU.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=False))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# `--auto-scale-lr` scales lr linearly from this total batch (RepDistiller issue #3)
auto_scale_lr = dict(base_batch_size=64)
