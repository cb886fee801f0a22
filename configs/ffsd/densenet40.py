_base_ = ['../_base_/methods/ffsd.py']
# FFSD on CIFAR-100, DenseNet-40-12 students and leader
# (SJLeo/FFSD: python cifar.py --model densenet
# --lambda_diversity 1e-5 --lambda_self_distillation 1000 --lambda_fusion 10).
# Published student-leader top-1 (SJLeo/FFSD README, three runs): 77.29, 77.70, 77.17 (mean 77.39).
# "Best" there is the leader's best test-set epoch (modelleader_best.pth); accuracy/top1 and
# save_best here are the leader's top-1 on the test set after every epoch, the same rule.
# Evaluate the exported leader with
#   python tools/test.py configs/ffsd/eval/densenet40_leader.py \
#       work_dirs/ffsd/densenet40/student_best.pth
model = dict(
    student='configs/_base_/models/ffsd/densenet40.py',
    leader='configs/_base_/models/ffsd/densenet40_leader.py',
    fusion=dict(channels=456),
    # the reference's DIYSelfDistillationModel([456, 312, 168], 2)
    decoder=dict(type='FFSDDecoder', channels=[456, 312, 168]),
)
