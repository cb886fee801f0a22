# HKD pass 1: the proxy teacher resnet8x4_double (4.875M params) distilled from resnet32x4
# with PKT in SemCKD convention: CE 1 + KD 1 + 30000 * PKT (specs/semckd_and_classic_kd.md §2.10).
_base_ = ['../_base_/methods/hkd_proxy_pkt.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet8x4_double.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet32x4.py'),
    teacher_ckpt='work_dirs/baselines/resnet32x4_cifar100/epoch_240.pth',
)
