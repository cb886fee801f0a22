# The FFSD student leader (WRN-16-2 + trans-fusion head) as a plain classifier on CIFAR-100: what
# tools/test.py evaluates student_best.pth / student_last.pth of configs/ffsd/wrn16_2.py with, and
# converted reference leaders (tools/model_converters/convert_reference.py --layout ffsd).
# Training it alone is the vanilla baseline of the architecture with FFSD's single-network recipe
# (SGD lr 0.1 Nesterov wd 1e-4, x0.1 at 150/225, 299 epochs, batch 128).
_base_ = [
    '../../_base_/models/ffsd/wrn16_2_leader.py', '../../_base_/datasets/cifar100_ffsd.py',
    '../../_base_/default_runtime.py'
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[150, 225], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=299, val_interval=1)
val_cfg = dict()
test_cfg = dict()
