# Tf-KD_reg (virtual teacher), DenseNet121 (CIFAR-100). Not reported in the reference.
# Reference: --regularization with experiments/base_experiments/base_densenet121 (reg_alpha 0.1,
#   reg_temperature 40, multiplier 50.0; batch 128, lr 0.1). No teacher network: the loss of the
#   classification head.
# Loss (1 - alpha)*CE + alpha*m*KL(softmax(P/T) || softmax(z)), P = 0.99 on the true class and
#   0.01/(K-1) elsewhere (probabilities fed to softmax as logits), KL averaged over the N*K elements
#   as the reference (batchmean weight alpha*m/K = 0.05); no student temperature and no T^2
#   (specs/tfkd.md §3, G2).
# G4: base_densenet121 has no "multiplier" (the reference raises AttributeError); m = 50 as
#   GoogLeNet, the other alpha 0.1 / T 40 config (effective KL weight alpha*m/K = 0.05, as
#   GoogLeNet).
_base_ = ['../_base_/models/densenet121.py', '../_base_/datasets/cifar100_tfkd.py',
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
