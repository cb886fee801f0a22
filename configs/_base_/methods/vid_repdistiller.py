# VID in RepDistiller's convention: CE 1 + 1 * VID, no KD term (RepDistiller/SemCKD
# distiller_zoo/VID.py).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        vid=dict(type='VIDLoss', loss_weight=1.0, connector=dict(type='VIDConnector'))),
)
