# mobilenetv2 with HSAKD's auxiliary branches (HSAKD models/mobilenetv2.py): HSAKD's plain
# MobileNetV2 (stride-1 stem, ./mobilenetv2.py; same keys, 812,836 params) + 4 branches (4,671,496
# params, each ending in Linear(1280, 400)). Taps 12@32, 16@16, 48@8, 160@4; branches end in
# conv1x1-BN-ReLU 1280@4.
_base_ = ['./mobilenetv2.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='MobileNetV2AuxBranches'))
