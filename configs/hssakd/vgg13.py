_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two VGG-13 peers
# (reference: train_online_kd_cifar.py --arch vgg13_vgg13).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 75.35±0.21, HSSAKD online 80.44±0.05 (the better peer).
# The better peer exports as the plain vgg13; test it with
#   python tools/test.py configs/baselines/vgg13_cifar100.py \
#       work_dirs/hssakd/vgg13/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/vgg13_aux.py')
