# KD twin of configs/semckd/imagenet/resnet34_resnet18.py: the same ImageNet recipe (8 GPUs x 32,
# 90 epochs, lr 0.1 x0.1 at 30/60, wd 1e-4) with CE 1 + KD 1 (T = 4) and no SemCKD term
# (DefangChen/SemCKD train_student.py --distill kd -r 1 -a 1).
#   tools/dist_train.sh configs/semckd/imagenet/resnet34_resnet18_kd.py 8
_base_ = ['./resnet34_resnet18.py']
model = dict(distill_losses=dict(_delete_=True, kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)))
# no batch-size-dependent module: the last, shorter batch could be used; kept as the SemCKD run
train_dataloader = dict(drop_last=True)
