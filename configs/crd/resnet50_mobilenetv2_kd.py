# CRD+KD, resnet50 -> mobilenetv2. RepDistiller convention for CRD+KD: CE 1 + KD 1 + 0.8 * CRD
# (specs/semckd_and_classic_kd.md §0; the CRD row of the table is CRD alone).
_base_ = ['../_base_/methods/crd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py'),
    teacher_ckpt='work_dirs/baselines/resnet50_cifar100/epoch_240.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
