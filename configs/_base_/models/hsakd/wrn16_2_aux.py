# wrn16_2 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain wrn16_2
# classifier (same keys, 703,284 params) + 3 branches (1,928,304 params, each ending in Linear(d,
# 400)). taps 32@32, 64@16, 128@8 (raw block sums); branches end in BN-ReLU 128@8.
_base_ = ['../wrn16_2.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='WRNAuxBranches'))
