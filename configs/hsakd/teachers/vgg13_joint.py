# HSAKD teacher vgg13, joint mode ("Teacher*", specs/hsakd.md §3): backbone and auxiliary branches
# trained together from scratch on the 4-rotation batch, CE(final[0::4], y) + sum_l CE(aux_l, 4y +
# r); 240 epochs, x0.1 at 150/180/210. Published final-head top-1: 78.48 (README "Teacher*" column,
# §7). Writes work_dirs/hsakd/teachers/vgg13_joint/epoch_240.pth (the HSAKD* pair configs use it).
_base_ = [
    '../../_base_/models/hsakd/vgg13_aux.py', '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/hsakd_cifar_sgd_240e.py', '../../_base_/default_runtime.py'
]
model = dict(type='HSAKDTeacher', freeze_backbone=False)
