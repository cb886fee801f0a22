# Tf-KD_self, ResNeXt29-8x64d (CIFAR-100). Published: 82.08 (baseline 81.03) top-1
#   (figures/Tf-self.png).
# Reference: --self_training with
#   experiments/kd_experiments/resnext29_distill/resnext29_self_teacher (alpha 0.9, T 20, multiplier
#   100.0; batch 64, lr 0.05).
# The teacher is the best checkpoint of the normally trained ResNeXt29-8x64d
#   (configs/tfkd/baselines/resnext29_cifar100.py: train it first; best.pth.tar in the reference).
# Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2*m/K = 360; specs/tfkd.md §2).
_base_ = ['../_base_/datasets/cifar100_tfkd.py', '../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnext29_8x64d.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnext29_8x64d.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/resnext29_cifar100/keep/best.pth',
    student_loss_weight=0.1,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.9, tau=20.0, multiplier=100.0)),
)
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
