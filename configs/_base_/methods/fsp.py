# FSP in RepDistiller's convention (RepDistiller distiller_zoo/FSP.py): 30 initialisation
# epochs train the student's feature layers on the FSP matrices of consecutive stages (stem
# included); the main stage is CE 1 alone (the reference's loss_kd = 0). Needs equal channel counts.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    init_epochs=30,
    distill_losses=dict(fsp=dict(type='FSPLoss', loss_weight=1.0)),
)
# 30 initialisation epochs, then the 240-epoch recipe: 270 epochs, decays shifted by 30
train_cfg = dict(max_epochs=270)
param_scheduler = dict(milestones=[180, 210, 240])
# parameters unused in one of the stages (the head in the init stage, the connector afterwards)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
