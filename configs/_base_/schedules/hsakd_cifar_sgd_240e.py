# The HSAKD CIFAR recipe (HSAKD train_teacher_*.py, train_student_*.py): SGD momentum 0.9,
# **Nesterov**, wd 5e-4, lr 0.05 (student/baseline configs of MobileNetV2, ShuffleV1 and ShuffleV2
# set 0.01), 240 epochs, x0.1 after epochs 150, 180 and 210; batch 64 real images (256 rows after
# the 4 rotations) on one GPU. Students, joint teachers ("Teacher*"), HSAKD baselines and online
# HSSAKD use it (online HSSAKD gives every peer its own SGD with these values:
# configs/_base_/methods/hssakd_online.py). (The reference creates SGD with lr 0.1 but overwrites
# it with --init-lr at the start of every epoch, so the effective lr is the one here.)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
