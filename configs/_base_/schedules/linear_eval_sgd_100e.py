# HSAKD's linear-evaluation schedule (HSAKD eval_rep.py): SGD lr 0.1, momentum
# 0.9, Nesterov, no weight decay, batch 64, 100 epochs, x0.1 after epochs 30, 60 and 90. Only the
# new linear classifier has gradients (the frozen backbone's parameters get none, so SGD skips
# them). The reported number is the best test accuracy over the epochs (mmengine keeps that
# checkpoint as `best_accuracy_top1_epoch_<N>.pth`).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0., nesterov=True))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
