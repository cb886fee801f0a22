_base_ = ['../_base_/methods/ffsd.py']
# FFSD on CIFAR-100, GoogLeNet students and leader (SJLeo/FFSD: python cifar.py --model googlenet
# --lambda_diversity 1e-5 --lambda_self_distillation 1000 --lambda_fusion 10).
# Published student-leader top-1 (SJLeo/FFSD README, three runs): 81.52, 81.93, 81.34 (mean 81.60).
# "Best" there is the leader's best test-set epoch (modelleader_best.pth); accuracy/top1 and
# save_best here are the leader's top-1 on the test set after every epoch, the same rule.
# Evaluate the exported leader with
#   python tools/test.py configs/ffsd/eval/googlenet_leader.py \
#       work_dirs/ffsd/googlenet/student_best.pth
model = dict(
    student='configs/_base_/models/ffsd/googlenet.py',
    leader='configs/_base_/models/ffsd/googlenet_leader.py',
    fusion=dict(channels=1024),
    # the reference's DIYSelfDistillationModel([1024, 832, 480], 2)
    decoder=dict(type='FFSDDecoder', channels=[1024, 832, 480]),
)
