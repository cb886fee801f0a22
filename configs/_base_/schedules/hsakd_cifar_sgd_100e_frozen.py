# The frozen-backbone HSAKD teacher ("Teacher", HSAKD train_teacher_freezed.sh):
# only the auxiliary branches train, 100 epochs, x0.1 after epochs 30, 60 and 90; otherwise the
# HSAKD CIFAR recipe (SGD Nesterov, momentum 0.9, wd 5e-4, lr 0.05, batch 64).
_base_ = ['./hsakd_cifar_sgd_240e.py']
param_scheduler = dict(milestones=[30, 60, 90])
train_cfg = dict(max_epochs=100)
