# FFSD student leader: GoogLeNet plus the TransFusionModule on inception_b5 (1024 -> 2x1024
# channels; SJLeo/FFSD models/fusion_module.py, googlenet_cifar.py leader=True). The exported
# student_best.pth / student_last.pth and converted modelleader_best.pth load strictly into it.
_base_ = ['./googlenet.py']
model = dict(trans_fusion=dict(type='FFSDTransFusion', channels=1024, model_num=2))
