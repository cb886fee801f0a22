# Main job, step 3: resnet8 distilled from the step-1 teacher with KD (CE 1 + KD 1, T = 4).
_base_ = [
    '../_base_/datasets/digits_bs64.py', '../_base_/schedules/digits_sgd_10e.py',
    '../_base_/default_runtime.py', '../_base_/distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student=dict(cfg_path='configs/digits/resnet8_digits.py'),
    teacher=dict(cfg_path='configs/digits/resnet20_digits.py'),
    teacher_ckpt='work_dirs/digits/resnet20_digits/epoch_10.pth',
    student_loss_weight=1.0,
    distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)),
)
default_hooks = dict(logger=dict(interval=10))
