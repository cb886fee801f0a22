# Tf-KD_self, ShuffleNetV2 (CIFAR-100). Published: 72.23 (baseline 70.34) top-1
#   (figures/Tf-self.png).
# Reference: --self_training with
#   experiments/kd_experiments/shufflenet_distill/shufflenet_self_teacher (alpha 0.95, T 20,
#   multiplier 1.0; batch 128, lr 0.1).
# The teacher is the best checkpoint of the normally trained ShuffleNetV2
#   (configs/tfkd/baselines/shufflenetv2_cifar100.py: train it first; best.pth.tar in the
#   reference).
# Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2*m/K = 3.8; specs/tfkd.md §2).
_base_ = ['../_base_/datasets/cifar100_tfkd.py', '../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/shufflenetv2_tfkd.py'),
    teacher=dict(cfg_path='configs/_base_/models/shufflenetv2_tfkd.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/shufflenetv2_cifar100/keep/best.pth',
    student_loss_weight=0.05,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.95, tau=20.0, multiplier=1.0)),
)
