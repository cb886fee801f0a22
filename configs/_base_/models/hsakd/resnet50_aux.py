# resnet50 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain
# resnet50 classifier (same keys, 23,705,252 params) + 4 branches (76,976,704 params, each ending in
# Linear(d, 400)). taps 256@32, 512@16, 1024@8, 2048@4; branches end at 2048@4.
_base_ = ['../resnet50.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ResNetV2CifarAuxBranches'))
