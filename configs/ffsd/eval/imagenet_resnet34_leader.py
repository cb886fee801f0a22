# The FFSD ImageNet student leader (ResNet-34 + trans-fusion head) as a plain classifier on
# ImageNet-1k: what tools/test.py evaluates student_best.pth / student_last.pth of
# configs/ffsd/imagenet/resnet34.py with, and converted reference leaders
# (tools/model_converters/convert_reference.py --layout ffsd). Published leader top-1 (SJLeo/FFSD
# README): 74.69. Data and the one-network recipe as imagenet_resnet18_leader.py.
_base_ = ['./imagenet_resnet18_leader.py']
model = dict(backbone=dict(arch='resnet34'))
