# FT in RepDistiller's convention (RepDistiller distiller_zoo/FT.py, models/util.py
# Paraphraser/Translator): 30 initialisation epochs train only the paraphraser on reconstructing the
# teacher's last stage map; then CE 1 + 200 * FT (translated student factor vs the frozen
# paraphraser's teacher factor, L1), no KD term.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    init_epochs=30,
    distill_losses=dict(
        ft=dict(type='FTLoss', loss_weight=200.0, stage='both', connector=dict(
            type='FTConnector'))),
)
# 30 initialisation epochs, then the 240-epoch recipe: 270 epochs, decays shifted by 30
train_cfg = dict(max_epochs=270)
# the reference's init stage runs at lr 0.01 for ResNet/WRN students (0.05 x 0.2); pair configs
# of other students keep the base lr there
param_scheduler = [
    dict(type='ConstantLR', factor=0.2, by_epoch=True, begin=0, end=30),
    dict(type='MultiStepLR', by_epoch=True, milestones=[180, 210, 240], gamma=0.1),
]
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
