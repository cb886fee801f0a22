_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two ResNet-56 peers
# (reference: train_online_kd_cifar.py --arch resnet56_resnet56).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 73.00±0.17, HSSAKD online 78.16±0.56 (the better peer).
# The better peer exports as the plain resnet56; test it with
#   python tools/test.py configs/baselines/resnet56_cifar100.py \
#       work_dirs/hssakd/resnet56/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/resnet56_aux.py')
