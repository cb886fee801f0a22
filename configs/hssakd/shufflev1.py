_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two ShuffleNetV1 peers
# (reference: train_online_kd_cifar.py --arch shufflev1_shufflev1).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 71.74±0.35, HSSAKD online 78.34±0.03 (the better peer).
# The better peer exports as the plain shufflev1; test it with
#   python tools/test.py configs/baselines/shufflev1_cifar100.py \
#       work_dirs/hssakd/shufflev1/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/shufflev1_aux.py')
# lr 0.01 for MobileNetV2/ShuffleNet peers (train_online_kd_cifar.sh --init-lr 0.01)
optim_wrapper = {'peer*': dict(optimizer=dict(lr=0.01))}
