# Tf-KD_self, GoogLeNet (CIFAR-100). Published: 80.17 (baseline 78.72) top-1 (figures/Tf-self.png).
# Reference: --self_training with
#   experiments/kd_experiments/googlenet_distill/googlenet_self_teacher (alpha 0.4, T 20, multiplier
#   50.0; batch 64, lr 0.05).
# The teacher is the best checkpoint of the normally trained GoogLeNet
#   (configs/tfkd/baselines/googlenet_cifar100.py: train it first; best.pth.tar in the reference).
# Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2*m/K = 80; specs/tfkd.md §2).
_base_ = ['../_base_/datasets/cifar100_tfkd.py', '../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/googlenet.py'),
    teacher=dict(cfg_path='configs/_base_/models/googlenet.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/googlenet_cifar100/keep/best.pth',
    student_loss_weight=0.6,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.4, tau=20.0, multiplier=50.0)),
)
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
