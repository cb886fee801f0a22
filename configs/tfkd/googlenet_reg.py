# Tf-KD_reg (virtual teacher), GoogLeNet (CIFAR-100). Published: 79.22 top-1
#   (figures/Reg-Normal-LSR.png).
# Reference: --regularization with experiments/base_experiments/base_googlenet (reg_alpha 0.1,
#   reg_temperature 40, multiplier 50.0; batch 64, lr 0.05). No teacher network: the loss of the
#   classification head.
# Loss (1 - alpha)*CE + alpha*m*KL(softmax(P/T) || softmax(z)), P = 0.99 on the true class and
#   0.01/(K-1) elsewhere (probabilities fed to softmax as logits), KL averaged over the N*K elements
#   as the reference (batchmean weight alpha*m/K = 0.05); no student temperature and no T^2
#   (specs/tfkd.md §3, G2).
_base_ = ['../_base_/models/googlenet.py', '../_base_/datasets/cifar100_tfkd.py',
          '../_base_/schedules/tfkd_200e.py', '../_base_/tfkd_runtime.py']
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='TfKDRegularizationLoss',
            alpha=0.1,
            temperature=40.0,
            multiplier=50.0,
            correct_prob=0.99,  # hard-coded in the reference
            variant='code',
            reduction='elementwise_mean')))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
