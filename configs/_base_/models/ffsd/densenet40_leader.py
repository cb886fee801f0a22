# FFSD student leader: DenseNet-40-12 plus the TransFusionModule on relu (456 -> 2x456 channels;
# SJLeo/FFSD models/fusion_module.py, densenet_cifar.py leader=True). The exported
# student_best.pth / student_last.pth and converted modelleader_best.pth load strictly into it.
_base_ = ['./densenet40.py']
model = dict(trans_fusion=dict(type='FFSDTransFusion', channels=456, model_num=2))
