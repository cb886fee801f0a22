# SemCKD: CE 1 + KD 1 + 400 * SemCKD (`-r 1 -a 1 -b 400`, SemCKD paper; SemCKD
# distiller_zoo/SemCKD.py, models/util.py SelfA). SelfA's key/query MLPs take the per-GPU batch size
# as input width, so the last incomplete batch is dropped (the reference skips it) and batch_size
# here must equal train_dataloader.batch_size.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        semckd=dict(
            type='SemCKDLoss',
            loss_weight=400.0,
            connector=dict(type='SelfAttentionConnector', batch_size=64))),
)
train_dataloader = dict(drop_last=True)
