# FFSD's ImageNet recipe (SJLeo/FFSD ImageNetTrainer.py: __init__, init_fusion_module,
# init_self_ditsllation_models, adjust_learning_rates; options/options.py; utils/util.py).
# The trainer forces n_epochs=90 and its loop is range(1, 90): it trains 89 epochs (1-based
# e = 1..89), and so does this config. One optimizer per part:
# * students and leader: SGD lr 0.1, momentum 0.9, Nesterov, wd 1e-4; fusion: the same, wd 1e-5.
#   Their lr is set every iteration: 0.1 * 0.1^(floor(e/30) + [e >= 80]), i.e. 0.1 for e 1-29,
#   0.01 for 30-59, 1e-3 for 60-79, 1e-4 for 80-89 (0-based epoch milestones 29, 59, 79), times
#   the warm-up (1 + step + e*L) / (5L) for e < 5 (FFSDWarmupLR: epochs 1-4, from about 0.2 of
#   the lr, linear per iteration; L = len(train set) // 256 = 5004 for ImageNet-1k).
# * decoders: Adam lr 1e-3 (PyTorch's default), wd 1e-4, no warm-up, MultiStepLR x0.1 stepped
#   per epoch at [30, 60, 80] (the trainer's lr_decay_iters).
# (DistributeImageNetTrainer.py reads an option leader_weight_decay that options.py no longer
# defines; ImageNetTrainer.py gives the leader the common wd 1e-4, as here.)
_sgd = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
optim_wrapper = {
    'constructor': 'OnlinePartsOptimWrapperConstructor',
    'student*': dict(optimizer=_sgd),
    'leader': dict(optimizer=_sgd),
    'fusion': dict(optimizer=dict(_sgd, weight_decay=1e-5)),
    'decoder_*': dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4)),
}
_network_lr = [
    # the reference's len_epoch = 1281167 // 256; the loader yields 5005 batches of 256
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
_decoder_lr = [dict(type='MultiStepLR', milestones=[30, 60, 80], gamma=0.1, by_epoch=True)]
# keyed by part (mmengine OptimWrapperDict): the two common students of model_num=2
param_scheduler = dict(
    student1=_network_lr,
    student2=_network_lr,
    fusion=_network_lr,
    leader=_network_lr,
    decoder_student2=_decoder_lr,
    decoder_leader=_decoder_lr)
train_cfg = dict(by_epoch=True, max_epochs=89, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
