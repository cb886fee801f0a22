# Online HSSAKD on ImageNet, two ResNet-18 peers with four auxiliary branches each (reference:
# train_online_kd_imagenet.py --arch resnet18_resnet18; HSAKD train_online_kd_cifar.py,
# models/mutual_kd_net.py). Same loss and selection as CIFAR
# (configs/_base_/methods/hssakd_online.py: T = 3, weights 1). The reference's one SGD over both
# peers is one SGD per peer here (parts peer1, peer2; the same update, disjoint parameters), each
# lr 0.1, momentum 0.9, no Nesterov, wd 1e-4; 100 epochs, x0.1 at 30/60/90 (the schedule shared
# by both optimizers), batch 256 in total:
#   tools/dist_train.sh configs/hssakd/imagenet/resnet18.py 4
# Published top-1: 69.75 (torchvision ResNet-18) -> 71.49 (the better peer).
# Test the exported peer: python tools/test.py configs/hsakd/baselines/resnet18_imagenet.py \
#     work_dirs/hssakd/imagenet/resnet18/student_best.pth
_base_ = [
    '../../_base_/datasets/imagenet_bs64_hsakd.py',
    '../../_base_/schedules/hsakd_imagenet_sgd_100e.py', '../../_base_/default_runtime.py'
]
model = dict(
    type='HSSAKDOnlineDistiller',
    peer='configs/_base_/models/hsakd/resnet18_imagenet_aux.py',
    num_peers=2,
    temperature=3.0,
    cls_weight=1.0,
    aux_weight=1.0,
    kd_weight=1.0,
    aux_kd_weight=1.0,
)
optim_wrapper = {
    '_delete_': True,
    'constructor': 'OnlinePartsOptimWrapperConstructor',
    'peer*':
    dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=False)),
}
val_evaluator = dict(type='PeerAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='DistillationEpochHook'),
    dict(type='PeerSelectionHook'),  # the better peer after every validation
    dict(type='StudentCheckpointHook'),  # student_last.pth / student_best.pth (the better peer)
]
# distributed: every peer on its own DDP (mmkd/engine/online_ddp.py)
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=False)
