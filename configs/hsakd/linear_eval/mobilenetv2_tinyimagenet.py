_base_ = [
    '../../_base_/datasets/tinyimagenet_32px_bs64.py',
    '../../_base_/schedules/linear_eval_sgd_100e.py', '../../_base_/default_runtime.py'
]
# HSAKD linear evaluation, CIFAR-100 -> Tiny-ImageNet (HSAKD eval_rep.py): the MobileNetV2
# student distilled from VGG13 (configs/hsakd/vgg13_mobilenetv2.py), frozen, in eval mode; a new
# Linear(1280, 200) on its pooled features is trained at 32×32. Published: 42.57 top-1.
# As in the reference README (which passes the last-epoch `mobilenetV2_aux.pth.tar`), the default
# is the last-epoch student; use student_best.pth or any other checkpoint with
#   --cfg-options model.student_ckpt=PATH   (another student: model.student=<its model config>)
model = dict(
    type='LinearEvalClassifier',
    # HSAKD's MobileNetV2, stride-1 stem (HSAKD models/mobilenetv2.py)
    student='configs/_base_/models/hsakd/mobilenetv2.py',
    num_classes=200,
    student_ckpt='work_dirs/hsakd/vgg13_mobilenetv2/student_last.pth',
)
