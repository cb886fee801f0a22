# The FFSD ImageNet student leader (ResNet-18 + trans-fusion head) as a plain classifier on
# ImageNet-1k: what tools/test.py evaluates student_best.pth / student_last.pth of
# configs/ffsd/imagenet/resnet18.py with, and converted reference leaders
# (tools/model_converters/convert_reference.py --layout ffsd). Published leader top-1 (SJLeo/FFSD
# README): 70.87. Training it alone is the vanilla baseline with FFSD's ImageNet recipe for one
# network (SGD lr 0.1 Nesterov wd 1e-4, 4-epoch per-iteration warm-up, x0.1 at epochs 30/60/80
# (1-based), 89 epochs, batch 256).
_base_ = [
    '../../_base_/models/ffsd/imagenet_resnet18_leader.py',
    '../../_base_/datasets/imagenet_bs256_ffsd.py',
    '../../_base_/schedules/ffsd_imagenet_sgd_89e_warmup.py', '../../_base_/default_runtime.py'
]
# the leader's part of the FFSD recipe (optimizer and per-iteration warm-up + steps), alone
optim_wrapper = dict(_delete_=True, optimizer={{_base_.optim_wrapper.leader.optimizer}})
param_scheduler = {{_base_.param_scheduler.leader}}
