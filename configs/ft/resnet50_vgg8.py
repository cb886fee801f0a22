# FT, resnet50 -> vgg8. RepDistiller convention: CE 1 + 200 * FT, no KD term.
# Published: 70.29 top-1 (RepDistiller/CRD table, specs/semckd_and_classic_kd.md §5.2).
_base_ = ['../_base_/methods/ft.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/vgg8.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/baselines/resnet50_cifar100/epoch_240.pth',
)
# the init stage keeps the base lr for this student (RepDistiller helper/pretrain.py)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[180, 210, 240], gamma=0.1)]
