_base_ = ['../../_base_/methods/ffsd_imagenet.py']
# FFSD on ImageNet-1k, ResNet-18 students and leader (SJLeo/FFSD README: python
# distribute_imagenet.py --dataset imagenet --model resnet18 --lambda_diversity 1e-5
# --lambda_self_distillation 1000 --lambda_fusion 10; ImageNetTrainer.py).
# Published student-leader top-1 (SJLeo/FFSD README, one run): 70.87.
# "Best" there is the leader's best test-set epoch (ImageNet val; modelleader_best.pth);
# accuracy/top1 and save_best here are the leader's top-1 on the val set after every epoch, the
# same rule. 89 epochs (the reference loop range(1, 90)), 4-epoch per-iteration warm-up and step
# lr (configs/_base_/schedules/ffsd_imagenet_sgd_89e_warmup.py), batch 256.
# Evaluate the exported leader with
#   python tools/test.py configs/ffsd/eval/imagenet_resnet18_leader.py \
#       work_dirs/ffsd/imagenet/resnet18/student_best.pth
model = dict(
    student='configs/_base_/models/ffsd/imagenet_resnet18.py',
    leader='configs/_base_/models/ffsd/imagenet_resnet18_leader.py',
    # the reference's FusionModule(512, 1000, 7): AvgPool(7) over the 7x7 layer4 maps
    fusion=dict(channels=512),
    # SelfDistillationModel(512, 3): 512 -> 256 -> 128 -> 64
    decoder=dict(type='FFSDDecoder', channels=[512, 256, 128, 64]),
)
