# FFSD student leader: WRN-16-2 plus the TransFusionModule on relu1 (128 -> 2x128 channels;
# SJLeo/FFSD models/fusion_module.py, wideresnet_cifar.py leader=True). The exported
# student_best.pth / student_last.pth and converted modelleader_best.pth load strictly into it.
_base_ = ['./wrn16_2.py']
model = dict(trans_fusion=dict(type='FFSDTransFusion', channels=128, model_num=2))
