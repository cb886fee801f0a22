# FFSD (Li et al., "Distilling a Powerful Student Model via Online Knowledge Distillation",
# IEEE TNNLS 2022; SJLeo/FFSD CIFARTrainer.py): two common students learn from each other (DML,
# T = 2), student 2 is pushed away from student 1's attention (diversity, lambda_diversity 1e-5),
# a fusion module fuses their deepest maps, and the student leader (the product) learns from the
# fusion module (KD, T = 2) and its fused maps (three attention terms, lambda_fusion 10);
# self-distillation decoders learn to rebuild shallow maps from deep ones (lambda_sd 1000). The
# three lambdas warm up as exp(-5 (1 - e/5)^2) over the 1-based epochs e <= 5.
# Six optimizers step in the reference's order each iteration: student1, student2, fusion,
# leader, decoder_student2, decoder_leader (see docs/ffsd.md).
# Arch configs set model.student / model.leader / model.fusion / model.decoder.
_base_ = [
    '../datasets/cifar100_ffsd.py', '../schedules/ffsd_cifar_sgd_299e.py', '../default_runtime.py',
    './ffsd_core.py'
]
model = dict(fusion=dict(spatial=8))  # AvgPool(8) over the 8x8 deepest CIFAR maps
# every network's top-1; accuracy/top1 (save_best) is the leader's. The reference keeps the
# leader's best *test* epoch (modelleader_best.pth); there is no separate validation split.
val_evaluator = dict(type='OnlineNetworksAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
