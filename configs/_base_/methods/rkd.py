# RKD in RepDistiller's convention: CE 1 + 1 * RKD (w_d 25, w_a 50), no KD term (RepDistiller/SemCKD
# scripts/run_cifar_distill.sh).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(rkd=dict(type='RKDLoss', loss_weight=1)),
)
