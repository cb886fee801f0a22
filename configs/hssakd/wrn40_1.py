_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two WRN-40-1 peers
# (reference: train_online_kd_cifar.py --arch WRN_40_1_WRN_40_1).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 71.95±0.59, HSSAKD online 76.67±0.41 (the better peer).
# The better peer exports as the plain wrn40_1; test it with
#   python tools/test.py configs/baselines/wrn40_1_cifar100.py \
#       work_dirs/hssakd/wrn40_1/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/wrn40_1_aux.py')
