# HSAKD* on ImageNet, ResNet-34 -> ResNet-18, from the jointly trained teacher ("Teacher*",
# configs/hsakd/teachers/resnet34_imagenet_joint.py). Published top-1/top-5: 72.39 / 91.00.
_base_ = ['./resnet34_resnet18.py']
model = dict(teacher_ckpt='work_dirs/hsakd/teachers/resnet34_imagenet_joint/epoch_100.pth')
