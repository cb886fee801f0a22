# Defective KD, ResNet18 (15.48%) -> MobileNetV2 (CIFAR-100). Published: 70.65±0.35 top-1
#   (figures/De-KD.png).
# Reference: experiments/kd_experiments/mobilenet_distill/resnet18_teacher (alpha 0.95, T 20; batch
#   128, lr 0.1).
# Loss (1 - alpha)*CE + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2/K = 3.8; specs/tfkd.md §1, §5).
# Teacher: the reference --pt_teacher checkpoint base_resnet18/0.pth.tar, the state after 1 epoch
#   (<e>.pth.tar is written after epoch e+1), kept by configs/tfkd/baselines/resnet18_cifar100.py.
_base_ = ['../../_base_/datasets/cifar100_tfkd.py', '../../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2_tfkd.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet18.py'),
    teacher_ckpt='work_dirs/tfkd/baselines/resnet18_cifar100/keep/epoch_1.pth',
    student_loss_weight=0.05,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.95, tau=20.0, multiplier=1.0)),
)
