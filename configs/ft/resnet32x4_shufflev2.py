# FT, resnet32x4 -> shufflev2. RepDistiller convention: CE 1 + 200 * FT, no KD term.
# Published: 72.50 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ft.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev2.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
# the init stage keeps the base lr for this student (RepDistiller helper/pretrain.py)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[180, 210, 240], gamma=0.1)]
