# Online HSSAKD (HSAKD train_online_kd_cifar.py, models/mutual_kd_net.py): two peers
# of the same architecture with auxiliary branches (configs/_base_/models/hsakd/<arch>_aux.py),
# on the 4-rotation batch. Per peer p (parts peer1, peer2; every weight 1, T = 3):
#   CE(final_p[0::4], y) + sum_l CE(aux_l^p, 4y + r)
#   + KL_T(final_p || sg final_q) + sum_l KL_T(aux_l^p || sg aux_l^q)   (q the other peer;
#   T^2, batchmean, 4N rows; with model.num_peers = P > 2 the KL terms are the mean over the
#   P - 1 other peers). The sum over the peers is the reference's loss.
# The reference trains both peers with one SGD; here every peer has its own SGD with the same
# hyperparameters (the schedule's: lr 0.05, momentum 0.9, Nesterov, wd 5e-4), the same update
# since the peers' parameters are disjoint. All forwards run before any update; peer1 steps
# first. The MultiStepLR schedule is shared by the peers' optimizers.
# Validation runs every peer on the plain test images; `accuracy/top1` is the best peer's top-1
# (the reference selects the epoch by max(peer 1, peer 2)), `peer1/top1`, `peer2/top1` are
# logged, and PeerSelectionHook makes the best peer what predict/test and student_best.pth /
# student_last.pth use (the plain classifier of that peer, branches dropped).
# Arch configs set `model.peer` (and lr 0.01 for MobileNetV2/ShuffleV1/ShuffleV2).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/hsakd_cifar_sgd_240e.py', '../default_runtime.py'
]
model = dict(
    type='HSSAKDOnlineDistiller',
    num_peers=2,
    temperature=3.0,
    cls_weight=1.0,
    aux_weight=1.0,
    kd_weight=1.0,
    aux_kd_weight=1.0,
)
# one optimizer per peer ('peer*' matches peer1 .. peerP), the schedule's SGD
optim_wrapper = {
    '_delete_': True,
    'constructor': 'OnlinePartsOptimWrapperConstructor',
    'peer*':
    dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)),
}
val_evaluator = dict(type='PeerAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='DistillationEpochHook'),  # epoch-dependent settings (none in HSSAKD; harmless)
    dict(type='PeerSelectionHook'),  # the better peer after every validation
    dict(type='StudentCheckpointHook'),  # student_last.pth / student_best.pth (the better peer)
]
# distributed: every peer on its own DDP (mmkd/engine/online_ddp.py)
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=False)
