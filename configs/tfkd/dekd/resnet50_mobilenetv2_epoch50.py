# Defective KD, ResNet50 (45.82%) -> MobileNetV2 (CIFAR-100). Published: 71.45±0.23 top-1
#   (figures/De-KD.png).
# Reference: no params.json (see below) (alpha 0.95, T 20; batch 128, lr 0.1).
# Loss (1 - alpha)*CE + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over the N*K
#   elements as the reference (batchmean weight alpha*T^2/K = 3.8; specs/tfkd.md §1, §5).
# Teacher: the reference --pt_teacher checkpoint base_resnet50/50.pth.tar, the state after 51 epochs
#   (<e>.pth.tar is written after epoch e+1), kept by configs/tfkd/baselines/resnet50_cifar100.py
#   (keep/epoch_50.pth for the README's "50-epoch-trained" reading).
# Nearest values: the reference has no mobilenet_distill/resnet50_teacher; values of
#   shufflenet_distill/resnet50_teacher (alpha 0.95, T 20, batch 128).
_base_ = ['../../_base_/datasets/cifar100_tfkd.py', '../../_base_/methods/tfkd_kd.py']
model = dict(
    student=dict(cfg_path='configs/_base_/models/mobilenetv2_tfkd.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet50.py', backbone=dict(init='tfkd')),
    teacher_ckpt='work_dirs/tfkd/baselines/resnet50_cifar100/keep/epoch_51.pth',
    student_loss_weight=0.05,  # 1 - alpha
    distill_losses=dict(kd=dict(alpha=0.95, tau=20.0, multiplier=1.0)),
)
