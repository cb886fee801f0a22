# KD (Hinton et al.) in SemCKD's convention: CE 1 + KD 1, T = 4
# (RepDistiller/SemCKD helper/loops.py train_distill, scripts/run_cifar_distill.sh: `-r 1 -a 1`).
# Pair configs set student/teacher.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)),
)
