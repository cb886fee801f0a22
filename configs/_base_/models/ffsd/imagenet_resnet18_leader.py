# FFSD student leader on ImageNet: ResNet-18 plus the TransFusionModule on layer4 (512 -> 2x512
# channels; SJLeo/FFSD models/fusion_module.py, resnet_imagenet.py leader=True,
# trans_fusion_info=(512, model_num)). +531,968 params (12,221,480). The exported
# student_best.pth / student_last.pth and converted modelleader_best.pth load strictly into it.
_base_ = ['./imagenet_resnet18.py']
model = dict(trans_fusion=dict(type='FFSDTransFusion', channels=512, model_num=2))
