# HSAKD on ImageNet, ResNet-34 -> ResNet-18, from the frozen-backbone teacher (HSAKD
# train_student_imagenet.py). Published top-1/top-5: 72.16 / 90.85 (torchvision ResNet-18: 69.75 /
# 89.07). Same loss as CIFAR (T = 3, weights 1), SGD lr 0.1, wd 1e-4, no Nesterov, 100 epochs, x0.1
# at 30/60/90, batch 256 in total: tools/dist_train.sh configs/hsakd/imagenet/resnet34_resnet18.py 4
# Test the exported student: python tools/test.py configs/hsakd/baselines/resnet18_imagenet.py \
#     work_dirs/hsakd/imagenet/resnet34_resnet18/student_best.pth
# The reference's ImageNet student reads the teacher's _best checkpoint (best aux ss accuracy):
# --cfg-options model.teacher_ckpt=work_dirs/hsakd/teachers/resnet34_imagenet_frozen/
# best_ss_accuracy_top1_epoch_<N>.pth (one path) does the same; the default is the last epoch.
_base_ = [
    '../../_base_/datasets/imagenet_bs64_hsakd.py',
    '../../_base_/schedules/hsakd_imagenet_sgd_100e.py', '../../_base_/default_runtime.py',
    '../../_base_/distill_runtime.py'
]
model = dict(
    type='HSAKDDistiller',
    student=dict(cfg_path='configs/_base_/models/hsakd/resnet18_imagenet_aux.py'),
    teacher=dict(cfg_path='configs/_base_/models/hsakd/resnet34_imagenet_aux.py'),
    teacher_ckpt='work_dirs/hsakd/teachers/resnet34_imagenet_frozen/epoch_100.pth',
    temperature=3.0,
)
