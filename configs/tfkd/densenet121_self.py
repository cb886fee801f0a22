# Tf-KD_self, DenseNet121 (CIFAR-100). Published: 80.26 (baseline 79.04) top-1
#   (figures/Tf-self.png).
# Reference: --self_training with
#   experiments/kd_experiments/densenet121_distill/densenet_self_teacher (alpha 0.9, T 20,
#   multiplier 50.0; batch 100, lr 0.078125).
# The teacher is the best checkpoint of the normally trained DenseNet121
#   (configs/tfkd/baselines/densenet121_cifar100.py: train it first; best.pth.tar in the reference).
# Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2*m/K = 180; specs/tfkd.md §2).
_base_ = ['../_base_/datasets/cifar100_tfkd.py', '../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/densenet121.py'),
    teacher=dict(cfg_path='configs/_base_/models/densenet121.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/densenet121_cifar100/keep/best.pth',
    student_loss_weight=0.1,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.9, tau=20.0, multiplier=50.0)),
)
train_dataloader = dict(batch_size=100)
optim_wrapper = dict(optimizer=dict(lr=0.078125))  # 0.1 * 100/128
