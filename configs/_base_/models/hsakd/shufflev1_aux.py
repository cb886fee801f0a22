# shufflev1 with HSAKD's auxiliary branches (HSAKD models/*.py, the *_aux networks): the plain
# shufflev1 classifier (same keys, 949,258 params) + 3 branches (3,118,740 params, each ending in
# Linear(d, 400)). taps 240@16, 480@8, 960@4; branches end at 960@4.
_base_ = ['../shufflev1.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ShuffleV1AuxBranches'))
