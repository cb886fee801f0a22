# KD in RepDistiller's convention: CE 0.1 + KD 0.9, T = 4 (`-r 0.1 -a 0.9`,
# RepDistiller/SemCKD helper/loops.py train_distill).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=0.1,
    distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)),
)
