# AT in SemCKD's convention: CE 1 + KD 1 + 1000 * AT (RepDistiller/SemCKD
# scripts/run_cifar_distill.sh).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        at=dict(type='ATLoss', loss_weight=1000.0)),
)
