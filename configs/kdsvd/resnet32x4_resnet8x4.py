# KDSVD, resnet32x4 -> resnet8x4. RepDistiller code, no reference script or published number:
# CE 1 + 1 * KDSVD (beta 1 is our choice).
_base_ = ['../_base_/methods/kdsvd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
