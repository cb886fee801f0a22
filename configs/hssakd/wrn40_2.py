_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two WRN-40-2 peers
# (reference: train_online_kd_cifar.py --arch WRN_40_2_WRN_40_2).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 76.44±0.20, HSSAKD online 82.58±0.21 (the better peer).
# The better peer exports as the plain wrn40_2; test it with
#   python tools/test.py configs/baselines/wrn40_2_cifar100.py \
#       work_dirs/hssakd/wrn40_2/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/wrn40_2_aux.py')
