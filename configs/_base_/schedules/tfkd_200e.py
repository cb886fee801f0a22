# The Tf-KD CIFAR recipe (docs/tfkd.md G7; Tf-KD train_kd.py, main.py, utils.WarmUpLR):
# SGD momentum 0.9, wd 5e-4, 200 epochs, lr x0.2 at the start of epochs 60, 120 and 160 (0-based
# epoch index, as the reference's MultiStepLR stepped before each epoch > 0), and a linear
# per-iteration warm-up over epoch 0: iteration t of n runs at lr*(t+1)/n (LinearWarmUpLR).
# lr = params.learning_rate * batch_size / 128 = 0.1 * batch/128: 0.1 here for batch 128; configs
# with batch 64 set 0.05, batch 100 sets 0.078125.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=False))
param_scheduler = [
    dict(type='LinearWarmUpLR', by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.2),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# `--auto-scale-lr` scales lr linearly from this total batch (the reference's own rule)
auto_scale_lr = dict(base_batch_size=128)
