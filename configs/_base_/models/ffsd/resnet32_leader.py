# FFSD student leader: ResNet-32 plus the TransFusionModule on layer3 (64 -> 2x64 channels;
# SJLeo/FFSD models/fusion_module.py, resnet_cifar.py leader=True). +9,152 params. The exported
# student_best.pth / student_last.pth and converted modelleader_best.pth load strictly into it.
_base_ = ['./resnet32.py']
model = dict(trans_fusion=dict(type='FFSDTransFusion', channels=64, model_num=2))
