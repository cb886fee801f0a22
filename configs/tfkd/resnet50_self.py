# Tf-KD_self, ResNet50 (CIFAR-100). Not reported in the reference.
# Reference: --self_training with experiments/kd_experiments/resnet50_distill/resnet50_self_teacher
#   (alpha 0.95, T 6, multiplier 1.0; batch 128, lr 0.1).
# The teacher is the best checkpoint of the normally trained ResNet50
#   (configs/tfkd/baselines/resnet50_cifar100.py: train it first; best.pth.tar in the reference).
# Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2*m/K = 0.342; specs/tfkd.md §2).
# G4: resnet50_self_teacher has no "multiplier" (--self_training raises AttributeError); m = 1,
#   which is what loss_kd (no multiplier) computes.
_base_ = ['../_base_/datasets/cifar100_tfkd.py', '../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnet50.py', backbone=dict(init='tfkd')),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py', backbone=dict(init='tfkd')),
    teacher_ckpt='work_dirs/tfkd/baselines/resnet50_cifar100/keep/best.pth',
    student_loss_weight=0.05,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.95, tau=6.0, multiplier=1.0)),
)
