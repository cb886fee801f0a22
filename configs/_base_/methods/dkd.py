# DKD (Zhao et al., CVPR 2022) with mdistiller's CIFAR-100 settings: CE 1 + DKD(alpha 1,
# beta 8, T 4) with a linear warm-up over the first 20 epochs (pairs override beta).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        dkd=dict(
            type='DKDLoss',
            tau=4.0,
            alpha=1.0,
            beta=8.0,
            weight_schedule=dict(type='LinearWarmup', epochs=20))),
)
