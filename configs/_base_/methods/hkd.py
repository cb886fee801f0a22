# HKD pass 2 in SemCKD's convention: CE 1 + KD 1 + 1 * HKD over all stage maps, the teacher
# being the PKT-distilled proxy of pass 1 (SemCKD distiller_zoo/HKD.py,
# scripts/run_cifar_distill.sh). Layer weights 100/1/1 reproduce the reference's never-applied
# decay.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0), hkd=dict(type='HKDLoss',
                                                                   loss_weight=1.0)),
)
