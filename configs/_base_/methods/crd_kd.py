# CRD+KD in RepDistiller's convention: CE 1 + KD 1 + 0.8 * CRD (RepDistiller README.md and
# scripts/run_cifar_distill.sh, `-a 1 -b 0.8`): the CRD base plus the KD term.
_base_ = ['./crd.py']
model = dict(distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)))
