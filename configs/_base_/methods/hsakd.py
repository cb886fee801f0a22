# HSAKD (offline; HSAKD train_student_*.py): on the 4-rotation batch (N images -> 4N rows,
# sample-major), CE(student final[0::4], y) + sum_l T^2 KL(student aux_l || teacher aux_l) + T^2
# KL(student final
# || teacher final), KLs over all 4N rows with batchmean, T = 3, every weight 1; the teacher is
# frozen (eval mode, no_grad). Student and teacher are aux-branch classifiers
# (configs/_base_/models/hsakd/<arch>_aux.py) with the same number of branches. Validation, test
# and student_last/best.pth are the plain student (branches dropped). Pair configs set student,
# teacher and teacher_ckpt (a trained HSAKD teacher, configs/hsakd/teachers/).
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/hsakd_cifar_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='HSAKDDistiller',
    temperature=3.0,
    cls_weight=1.0,
    kd_weight=1.0,
    aux_kd_weight=1.0,
)
