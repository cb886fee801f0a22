# Tf-KD's KD loss (Tf-KD my_loss_function.py loss_kd / loss_kd_self):
#   (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over all N*K
#   elements (torch 1.2's nn.KLDivLoss()): TfKDLoss(reduction='elementwise_mean') keeps the
#   reference's alpha/T/multiplier as they are; the CE weight 1 - alpha is student_loss_weight
#   (pair configs set both from the same alpha). Batchmean equivalent: KDLoss(tau=T,
#   loss_weight=alpha*m/K), K = 100 on CIFAR-100 (G1).
# Defaults: alpha 0.95, T 20, m 1 (normal KD with a MobileNetV2/ShuffleNetV2 student). No dataset
# here: a config lists a dataset base (cifar100_tfkd.py, cifar10_tfkd.py, tiny_imagenet_tfkd.py)
# before this file.
_base_ = ['../schedules/tfkd_200e.py', '../tfkd_runtime.py', '../distill_runtime.py']
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=0.05,
    distill_losses=dict(
        kd=dict(
            type='TfKDLoss', alpha=0.95, tau=20.0, multiplier=1.0, reduction='elementwise_mean')),
)
