# UNIXKD (Xu, Liu, Loy, "Computation-Efficient Knowledge Distillation via Uncertainty-Aware
# Mixup", arXiv 2012.09413), the UNIX setting of xuguodong03/UNIXKD command/command.sh:
# --strategy 3 (entropy) --k 48 --b 32 --w 10, --T 4, --ce-weight 0 --kd-weight 1 (KD only).
# Per step: a no-grad, train-mode student pass on the clean batch (it updates the BN statistics,
# as in the reference), entropy ranking, mixup with weight lambda*sigmoid(w(r/B - (2b-1)/(2B))),
# lambda ~ Beta(1,1), partners from a permutation of the whole batch, then teacher and student
# on the 48 most uncertain of 64. Recipe (student_v0.py): 240 epochs, batch 64 without
# drop_last, SGD 0.9 / wd 5e-4, lr 0.05 (0.01 for MobileNetV2/ShuffleNet students, set in the
# pair configs), x0.1 at 150/180/210, seed 0. Pair configs set student, teacher, teacher_ckpt.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='UNIXKDDistiller',
    student_loss_weight=0.0,  # --ce-weight 0
    distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)),  # --kd-weight 1
    batch_transform=dict(
        type='UNIXKDBatchTransform',
        batch_size=64,  # = train_dataloader.batch_size (the mask's r/B uses it)
        k=48,
        b=32,
        w=10.0,
        strategy='entropy',
        uncertainty_mode='train',  # reference; 'eval' leaves the BN statistics alone
    ),
)
# the reference's Normalize: mean (0.5071, 0.4866, 0.4409), std (0.2675, 0.2565, 0.2761)
data_preprocessor = dict(mean=[129.3105, 124.083, 112.4295], std=[68.2125, 65.4075, 70.4055])
# no drop_last: the last batch of 16 is used (barely mixed, all kept), as in the reference
train_dataloader = dict(drop_last=False)
randomness = dict(seed=0)  # --seed 0
# UNIXKDDistiller declares UNIXKDComputationHook (per-epoch teacher forwards saved and
# computation) with the distillation hooks; the tools add them to any custom_hooks.
# the epoch-to-date values are logged as they are (not averaged over the logger window)
log_processor = dict(custom_cfg=[
    dict(data_src='unix_epoch_computation', method_name='current'),
    dict(data_src='unix_epoch_teacher_saved', method_name='current'),
])
