# resnet20 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain
# resnet20 classifier (same keys, 278,324 params) + 3 branches (762,992 params, each ending in
# Linear(d, 400)). taps 16@32, 32@16, 64@8; branches end at 64@8.
_base_ = ['../resnet20.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ResNetCifarAuxBranches'))
