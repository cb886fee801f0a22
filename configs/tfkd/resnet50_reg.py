# Tf-KD_reg (virtual teacher), ResNet50 (CIFAR-100). Not reported in the reference.
# Reference: --regularization with experiments/base_experiments/base_resnet50 (reg_alpha 0.1,
#   reg_temperature 20, multiplier 100.0; batch 64, lr 0.05). No teacher network: the loss of the
#   classification head.
# Loss (1 - alpha)*CE + alpha*m*KL(softmax(P/T) || softmax(z)), P = 0.99 on the true class and
#   0.01/(K-1) elsewhere (probabilities fed to softmax as logits), KL averaged over the N*K elements
#   as the reference (batchmean weight alpha*m/K = 0.1); no student temperature and no T^2
#   (specs/tfkd.md §3, G2).
# G4: base_resnet50 has no reg_* keys (not runnable with --regularization); ResNet18's values (alpha
#   0.1, T 20, m 100), the same ResNet family.
_base_ = ['../_base_/models/resnet50.py', '../_base_/datasets/cifar100_tfkd.py',
          '../_base_/schedules/tfkd_200e.py', '../_base_/tfkd_runtime.py']
model = dict(
    backbone=dict(init='tfkd'),
    head=dict(
        loss=dict(
            _delete_=True,
            type='TfKDRegularizationLoss',
            alpha=0.1,
            temperature=20.0,
            multiplier=100.0,
            correct_prob=0.99,  # hard-coded in the reference
            variant='code',
            reduction='elementwise_mean')))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))  # 0.1 * 64/128
