# HKD, resnet32x4 -> shufflev2. SemCKD convention: CE 1 + KD 1 + 1 * HKD.
# Published: 76.64 top-1 (SemCKD table, specs/semckd_and_classic_kd.md §5.1).
# Pass 2 of HKD: the teacher is the resnet8x4_double proxy distilled from resnet32x4 with PKT
# by configs/hkd/resnet32x4_resnet8x4_double_pkt.py (pass 1).
_base_ = ['../_base_/methods/hkd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflev2.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet8x4_double.py'),
    teacher_ckpt='work_dirs/hkd/resnet32x4_resnet8x4_double_pkt/student_last.pth',
)
# lr 0.01 for MobileNetV2/ShuffleNet students (specs/semckd_and_classic_kd.md §4)
optim_wrapper = dict(optimizer=dict(lr=0.01))
