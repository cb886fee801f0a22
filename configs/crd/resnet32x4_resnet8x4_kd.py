# CRD+KD, resnet32x4 -> resnet8x4. RepDistiller convention for CRD+KD: CE 1 + KD 1 + 0.8 * CRD
# (specs/semckd_and_classic_kd.md §0; the CRD row of the table is CRD alone).
_base_ = ['../_base_/methods/crd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
