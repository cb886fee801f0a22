# shufflev2 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain
# shufflev2 classifier (same keys, 1,355,528 params) + 3 branches (4,519,988 params, each ending in
# Linear(d, 400)). taps 116@16, 232@8, 464@4; branches end in conv1x1-BN-ReLU 1024@4; no custom init
# (reference).
_base_ = ['../shufflev2.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ShuffleV2AuxBranches'))
