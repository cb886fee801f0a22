# FFSD's CIFAR recipe (SJLeo/FFSD CIFARTrainer.py L41-112, options/options.py, utils/util.py):
# one optimizer per part. Students and leader: SGD lr 0.1, momentum 0.9, Nesterov, wd 1e-4; the
# fusion module: the same with wd 1e-5; the self-distillation decoders: Adam lr 1e-3 (betas 0.9,
# 0.999), wd 1e-4. Every part: MultiStepLR x0.1 after epochs 150 and 225, stepped per epoch.
# The reference loop is range(1, 300): it trains 299 epochs (1-150 lr 0.1, 151-225 lr 0.01,
# 226-299 lr 0.001), and so does this config. Tuned for batch 128 on one GPU.
_sgd = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
optim_wrapper = {
    'constructor': 'OnlinePartsOptimWrapperConstructor',
    'student*': dict(optimizer=_sgd),
    'leader': dict(optimizer=_sgd),
    'fusion': dict(optimizer=dict(_sgd, weight_decay=1e-5)),
    'decoder_*': dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4)),
}
# one list shared by every part (param_scheduler = dict(<part>=[...], ...) sets them per part)
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[150, 225], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=299, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
