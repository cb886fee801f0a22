_base_ = ['../_base_/methods/hssakd_online.py']
# Online HSSAKD, two MobileNetV2 (x0.5, stride-1 stem) peers
# (reference: train_online_kd_cifar.py --arch mbv2_mbv2).
# Published CIFAR-100 top-1 (HSAKD README.md):
# baseline 73.51±0.26, HSSAKD online 78.85±0.13 (the better peer).
# The better peer exports as the plain mobilenetv2; test it with
#   python tools/test.py configs/hsakd/baselines/mobilenetv2_cifar100.py \
#       work_dirs/hssakd/mobilenetv2/student_best.pth
model = dict(peer='configs/_base_/models/hsakd/mobilenetv2_aux.py')
# lr 0.01 for MobileNetV2/ShuffleNet peers (train_online_kd_cifar.sh --init-lr 0.01)
optim_wrapper = {'peer*': dict(optimizer=dict(lr=0.01))}
