# Tf-KD baseline, ResNeXt29-8x64d (CIFAR-100). Published: 81.03 top-1 (Tf-KD README).
# Reference: normal training with experiments/base_experiments/base_resnext29 (batch 64, lr 0.05),
#   the Tf-KD recipe (specs/tfkd.md §6).
# Keeps the checkpoints of epochs [1, 50, 51] and the best one in
#   work_dirs/tfkd/baselines/resnext29_cifar100/keep/ (the De-KD and Tf-KD_self teachers).
_base_ = ['../../_base_/models/resnext29_8x64d.py', '../../_base_/datasets/cifar100_tfkd.py',
          '../../_base_/schedules/tfkd_200e.py', '../../_base_/tfkd_runtime.py']
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
custom_hooks = [dict(type='KeepCheckpointsHook', epochs=[1, 50, 51], best=True)]
