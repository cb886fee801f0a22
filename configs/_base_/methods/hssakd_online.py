# Online HSSAKD (HSAKD train_online_kd_cifar.py, models/mutual_kd_net.py): two peers
# of the same architecture with auxiliary branches (configs/_base_/models/hsakd/<arch>_aux.py),
# trained jointly by one SGD on the 4-rotation batch. Loss, every weight 1, T = 3:
#   sum_peers CE(final[0::4], y) + sum_peers sum_l CE(aux_l, 4y + r)
#   + KL_T(final_1 || sg final_2) + KL_T(final_2 || sg final_1)
#   + sum_l [KL_T(aux_l^1 || sg aux_l^2) + KL_T(aux_l^2 || sg aux_l^1)]   (T^2, batchmean, 4N rows)
# Validation runs both peers on the plain test images; `accuracy/top1` is the better peer's top-1
# (the reference selects the epoch by max(peer 1, peer 2)), `peer1/top1` and `peer2/top1` are
# logged, and PeerSelectionHook makes the better peer what predict/test and student_best.pth /
# student_last.pth use (the plain classifier of that peer, branches dropped).
# Arch configs set `model.peer` (and lr 0.01 for MobileNetV2/ShuffleV1/ShuffleV2).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/hsakd_cifar_sgd_240e.py',
    '../default_runtime.py'
]
model = dict(
    type='HSSAKDOnlineDistiller',
    temperature=3.0,
    cls_weight=1.0,
    aux_weight=1.0,
    kd_weight=1.0,
    aux_kd_weight=1.0,
)
val_evaluator = dict(type='PeerAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [
    dict(type='DistillationEpochHook'),   # epoch-dependent settings (none in HSSAKD; harmless)
    dict(type='PeerSelectionHook'),       # the better peer after every validation
    dict(type='StudentCheckpointHook'),   # student_last.pth / student_best.pth (the better peer)
]
