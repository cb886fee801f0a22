# Tf-KD_self, ResNet18 (CIFAR-100). Published: 77.1 (baseline 75.87) top-1 (figures/Tf-self.png).
# Reference: --self_training with experiments/kd_experiments/resnet18_distill/resnet18_self_teacher
#   (alpha 0.95, T 6, multiplier 50.0; batch 128, lr 0.1).
# The teacher is the best checkpoint of the normally trained ResNet18
#   (configs/tfkd/baselines/resnet18_cifar100.py: train it first; best.pth.tar in the reference).
# Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2*m/K = 17.1; specs/tfkd.md §2).
_base_ = ['../_base_/datasets/cifar100_tfkd.py', '../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet18.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet18.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/resnet18_cifar100/keep/best.pth',
    student_loss_weight=0.05,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.95, tau=6.0, multiplier=50.0)),
)
