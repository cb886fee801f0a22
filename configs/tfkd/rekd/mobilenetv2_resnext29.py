# Reversed KD MobileNetV2 -> ResNeXt29-8x64d (CIFAR-100). Published: 81.53±0.14 top-1
#   (figures/Re-KD.png).
# Reference: experiments/kd_experiments/resnext29_distill/mobilenet_v2_teacher (alpha 0.6, T 20;
#   batch 64, lr 0.05).
# Loss (1 - alpha)*CE + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2/K = 2.4; specs/tfkd.md §1, §5).
# Teacher: the best checkpoint of configs/tfkd/baselines/mobilenetv2_cifar100.py (best.pth.tar in
#   the reference).
_base_ = ['../../_base_/datasets/cifar100_tfkd.py', '../../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/resnext29_8x64d.py'),
    teacher=dict(cfg_path='configs/_base_/models/mobilenetv2_tfkd.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/mobilenetv2_cifar100/keep/best.pth',
    student_loss_weight=0.4,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.6, tau=20.0, multiplier=1.0)),
)
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
