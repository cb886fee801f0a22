# HSAKD's plain MobileNetV2 (T=6, width 0.5; HSAKD models/mobilenetv2.py): the RepDistiller network
# with a stride-1 stem, so it runs at 32x32: stages 12@32, 16@16, 48@8, 160@4, 1x1 conv 1280@4;
# 812,836 params (100 classes), the same parameters as configs/_base_/models/mobilenetv2.py. This is
# the plain config HSAKD MobileNetV2 students export to
# (configs/hsakd/baselines/mobilenetv2_cifar100.py trains and tests it).
_base_ = ['../mobilenetv2.py']
model = dict(
    backbone=dict(
        _delete_=True, type='MobileNetV2HSAKD', width_mult=0.5, expand_ratio=6, stem_stride=1))
