# Normal KD ResNet18 -> ShuffleNetV2 (CIFAR-100). Published: 72.05±0.13 top-1 (figures/Re-KD.png).
# Reference: experiments/kd_experiments/shufflenet_distill/resnet18_teacher (alpha 0.95, T 20; batch
#   128, lr 0.1).
# Loss (1 - alpha)*CE + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2/K = 3.8; specs/tfkd.md §1, §5).
# Teacher: the best checkpoint of configs/tfkd/baselines/resnet18_cifar100.py (best.pth.tar in the
#   reference).
_base_ = ['../../_base_/datasets/cifar100_tfkd.py', '../../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflenetv2_tfkd.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet18.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/resnet18_cifar100/keep/best.pth',
    student_loss_weight=0.05,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.95, tau=20.0, multiplier=1.0)),
)
