# FitNet in SemCKD's convention: CE 1 + KD 1 + 100 * MSE(ConvReg(f_s), f_t) on hint layer 1
# (SemCKD's default `--hint_layer 1`; RepDistiller/SemCKD distiller_zoo/FitNet.py, models/util.py
# ConvReg).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        fitnet=dict(
            type='FitNetLoss', loss_weight=100.0, source=1,
            connector=dict(type='ConvRegConnector'))),
)
