# CRD+KD in RepDistiller's convention: CE 1 + KD 1 + 0.8 * CRD (specs/semckd_and_classic_kd.md
# §0, `-a 1 -b 0.8`): the CRD base plus the KD term.
_base_ = ['./crd.py']
model = dict(distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)))
