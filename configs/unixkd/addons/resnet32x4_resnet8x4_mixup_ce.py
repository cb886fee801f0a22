# UNIXKD with its label term, resnet32x4 -> resnet8x4: the reference's --ce-weight (dormant: 0 in
# every run of command.sh) as the mixup CE (1 - mask_i) CE(s_i, y[rank_i]) + mask_i CE(s_i,
# y[perm_i]) averaged over the k kept samples (xuguodong03/UNIXKD student_v0.py). Weight 1 is an
# example (--ce-weight 1); no published number.
_base_ = ['../resnet32x4_resnet8x4.py']
model = dict(distill_losses=dict(ce=dict(type='UNIXMixupCELoss', loss_weight=1.0)))
