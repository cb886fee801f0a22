# HSAKD's MobileNetV2 (T=6, width 0.5, stride-1 stem; HSAKD models/mobilenetv2.py) trained alone:
# the "Student baseline" of the MobileNetV2 pairs, 73.51±0.26 (HSAKD README.md;
# train_baseline_cifar.sh with
# --init-lr 0.01). HSAKD recipe: SGD Nesterov, wd 5e-4, lr 0.01, 240 epochs, x0.1 at 150/180/210.
# Also the plain config the distilled MobileNetV2 students (configs/hsakd/*_mobilenetv2*.py) are
# tested with: python tools/test.py configs/hsakd/baselines/mobilenetv2_cifar100.py STUDENT.pth
_base_ = [
    '../../_base_/models/hsakd/mobilenetv2.py', '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/hsakd_cifar_sgd_240e.py', '../../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
