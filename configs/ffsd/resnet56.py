_base_ = ['../_base_/methods/ffsd.py']
# FFSD on CIFAR-100, ResNet-56 students and leader (SJLeo/FFSD: python cifar.py --model resnet56
# --lambda_diversity 1e-5 --lambda_self_distillation 1000 --lambda_fusion 10).
# Published student-leader top-1 (SJLeo/FFSD README, three runs): 75.84, 75.66, 75.91 (mean 75.80).
# "Best" there is the leader's best test-set epoch (modelleader_best.pth); accuracy/top1 and
# save_best here are the leader's top-1 on the test set after every epoch, the same rule.
# Evaluate the exported leader with
#   python tools/test.py configs/ffsd/eval/resnet56_leader.py \
#       work_dirs/ffsd/resnet56/student_best.pth
model = dict(
    student='configs/_base_/models/ffsd/resnet56.py',
    leader='configs/_base_/models/ffsd/resnet56_leader.py',
    fusion=dict(channels=64),
    decoder=dict(type='FFSDDecoder', channels=[64, 32, 16]),
)
