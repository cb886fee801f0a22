# Tf-KD_reg (virtual teacher), MobileNetV2 (CIFAR-100). Published: 70.88 top-1
#   (figures/Reg-Normal-LSR.png).
# Reference: --regularization with experiments/base_experiments/base_mobilenetv2 (reg_alpha 0.95,
#   reg_temperature 40, multiplier 1.0; batch 128, lr 0.1). No teacher network: the loss of the
#   classification head.
# Loss (1 - alpha)*CE + alpha*m*KL(softmax(P/T) || softmax(z)), P = 0.99 on the true class and
#   0.01/(K-1) elsewhere (probabilities fed to softmax as logits), KL averaged over the N*K elements
#   as the reference (batchmean weight alpha*m/K = 0.0095); no student temperature and no T^2
#   (specs/tfkd.md §3, G2).
_base_ = ['../_base_/models/mobilenetv2_tfkd.py', '../_base_/datasets/cifar100_tfkd.py',
          '../_base_/schedules/tfkd_200e.py', '../_base_/tfkd_runtime.py']
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='TfKDRegularizationLoss',
            alpha=0.95,
            temperature=40.0,
            multiplier=1.0,
            correct_prob=0.99,  # hard-coded in the reference
            variant='code',
            reduction='elementwise_mean')))
