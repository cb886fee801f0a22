_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two ShuffleNetV2 peers
# (reference: train_online_kd_cifar.py --arch shufflev2_shufflev2).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 72.96±0.33, HSSAKD online 79.98±0.12 (the better peer).
# The better peer exports as the plain shufflev2; test it with
#   python tools/test.py configs/baselines/shufflev2_cifar100.py \
#       work_dirs/hssakd/shufflev2/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/shufflev2_aux.py')
# lr 0.01 for MobileNetV2/ShuffleNet peers (train_online_kd_cifar.sh --init-lr 0.01)
optim_wrapper = {'peer*': dict(optimizer=dict(lr=0.01))}
