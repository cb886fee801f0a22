# resnet8x4 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain
# resnet8x4 classifier (same keys, 1,233,540 params) + 3 branches (3,557,296 params, each ending in
# Linear(d, 400)). taps 64@32, 128@16, 256@8; branches end at 256@8.
_base_ = ['../resnet8x4.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ResNetCifarAuxBranches'))
