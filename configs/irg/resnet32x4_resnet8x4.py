# IRG, resnet32x4 -> resnet8x4. SemCKD convention: CE 1 + KD 1 + 0.005 * IRG ([S] scripts/run_cifar_distill.sh).
_base_ = ['../_base_/methods/irg.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
