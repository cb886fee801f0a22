_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two ResNet-32x4 peers
# (reference: train_online_kd_cifar.py --arch resnet32x4_resnet32x4).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 79.56±0.23, HSSAKD online 84.91±0.19 (the better peer).
# The better peer exports as the plain resnet32x4; test it with
#   python tools/test.py configs/baselines/resnet32x4_cifar100.py \
#       work_dirs/hssakd/resnet32x4/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/resnet32x4_aux.py')
