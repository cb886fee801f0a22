# vgg8 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain vgg8
# classifier (same keys, 3,965,028 params) + 4 branches (16,833,984 params, each ending in Linear(d,
# 400)). taps 64@32 (ReLU(block0)), 128@16, 256@8, 512@4 (ReLU(block4)); branches end at 512@1.
# Reference quirk kept: the aux init function is never called, so the branches keep PyTorch's
# default init.
_base_ = ['../vgg8.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='VGGAuxBranches'))
