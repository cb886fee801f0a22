# wrn40_1 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain wrn40_1
# classifier (same keys, 569,780 params) + 3 branches (1,484,432 params, each ending in Linear(d,
# 400)). taps 16@32, 32@16, 64@8 (raw block sums); branches end in BN-ReLU 64@8.
_base_ = ['../wrn40_1.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='WRNAuxBranches'))
