# resnet32x4 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain
# resnet32x4 classifier (same keys, 7,433,860 params) + 3 branches (18,907,056 params, each ending
# in Linear(d, 400)). taps 64@32, 128@16, 256@8; branches end at 256@8.
_base_ = ['../resnet32x4.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ResNetCifarAuxBranches'))
