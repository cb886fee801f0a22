# FFSD on ImageNet-1k (SJLeo/FFSD ImageNetTrainer.py): the method of configs/_base_/methods/ffsd.py
# (ffsd_core.py: the distiller, lambdas 1e-5 / 10 / 1000 with the 5-epoch exp warm-up, T = 2,
# six optimizers in the reference's order) with FFSD's ImageNet data (batch 256,
# RandomResizedCrop 224) and schedule (89 epochs, per-iteration warm-up and step lr).
# Arch configs set model.student / model.leader / model.fusion.channels / model.decoder.
_base_ = [
    '../datasets/imagenet_bs256_ffsd.py', '../schedules/ffsd_imagenet_sgd_89e_warmup.py',
    '../default_runtime.py', './ffsd_core.py'
]
model = dict(fusion=dict(spatial=7))  # the reference's FusionModule(512, 1000, 7)
# every network's top-1/top-5; accuracy/top1 (save_best) is the leader's, on the val set after
# every epoch (the reference keeps the leader's best val epoch, modelleader_best.pth)
val_evaluator = dict(type='OnlineNetworksAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
