# UNIXKD + AT, resnet32x4 -> resnet8x4: the reference's --other-distill AT (xuguodong03/UNIXKD
# student_v0.py, zoo.py:Attention): + 1000 * AT over the stage outputs feats[1:-1], on the same
# k mixed samples. Not part of command.sh (no published number): it shows that UNIX plugs into
# feature methods.
_base_ = ['../resnet32x4_resnet8x4.py']
model = dict(distill_losses=dict(at=dict(type='ATLoss', loss_weight=1000.0)))
