# IRG in SemCKD's convention: CE 1 + KD 1 + 0.005 * IRG on the pooled embedding
# (SemCKD distiller_zoo/IRG.py).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        irg=dict(type='IRGLoss', loss_weight=0.005)),
)
