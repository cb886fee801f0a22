_base_ = ['../_base_/methods/ffsd.py']
# FFSD on CIFAR-100, WRN-40-2 students and leader
# (SJLeo/FFSD: python cifar.py --model wideresnet4002
# --lambda_diversity 1e-5 --lambda_self_distillation 1000 --lambda_fusion 10).
# Published student-leader top-1 (SJLeo/FFSD README, three runs): 79.13, 79.19, 79.11 (mean 79.14).
# "Best" there is the leader's best test-set epoch (modelleader_best.pth); accuracy/top1 and
# save_best here are the leader's top-1 on the test set after every epoch, the same rule.
# Evaluate the exported leader with
#   python tools/test.py configs/ffsd/eval/wrn40_2_leader.py \
#       work_dirs/ffsd/wrn40_2/student_best.pth
model = dict(
    student='configs/_base_/models/ffsd/wrn40_2.py',
    leader='configs/_base_/models/ffsd/wrn40_2_leader.py',
    fusion=dict(channels=128),
    decoder=dict(type='FFSDDecoder', channels=[128, 64, 32]),
)
