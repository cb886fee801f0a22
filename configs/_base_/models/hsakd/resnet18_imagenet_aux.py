# resnet18_imagenet with HSAKD's auxiliary branches (HSAKD models/resnet_imagenet.py): the plain
# torchvision classifier (same keys, 11,689,512 params) + 4 branches (47,555,456 params, each ending
# in Linear(512, 4000)). At 224x224: taps 64@56, 128@28, 256@14, 512@7; branches end at 512@7.
_base_ = ['../resnet18_imagenet.py']
model = dict(type='AuxBranchClassifier', aux_branches=dict(type='ResNetImageNetAuxBranches'))
