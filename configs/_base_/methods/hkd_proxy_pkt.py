# HKD pass 1: train the proxy with PKT in SemCKD's convention: CE 1 + KD 1 + 30000 * PKT
# (SemCKD distiller_zoo/HKD.py, scripts/run_cifar_distill.sh).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        pkt=dict(type='PKTLoss', loss_weight=30000.0)),
)
