# UNIXKD + SP, resnet32x4 -> resnet8x4: the reference's --other-distill SP (xuguodong03/UNIXKD
# student_v0.py): + 3000 * zoo.py:Similarity on feats[-2]. The reference passes single tensors, so
# the similarity is computed per sample over channels (C x C, summed over samples), which needs
# equal student/teacher widths (256 here); reproduced as UNIXSampleWiseSPLoss. The batch
# similarity of the SP paper is `type='SPLoss'` (the corrected alternative). No published number.
_base_ = ['../resnet32x4_resnet8x4.py']
model = dict(distill_losses=dict(sp=dict(type='UNIXSampleWiseSPLoss', loss_weight=3000.0)))
