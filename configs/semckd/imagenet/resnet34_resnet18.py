# SemCKD on ImageNet, ResNet-34 -> ResNet-18: the second command of the DefangChen/SemCKD README
# (train_student.py --model_s ResNet18 --model_t ResNet34 -r 1 -a 1 -b 50 --batch_size 256 over 8
# GPUs --epochs 90 --learning_rate 0.1 --lr_decay_epochs 30,60 --weight_decay 1e-4 --dali gpu).
# CE 1 + KD 1 (T = 4) + 50 * SemCKD over the four stage outputs. 8 GPUs x 32 images:
#   tools/dist_train.sh configs/semckd/imagenet/resnet34_resnet18.py 8
# Published: the SemCKD paper's ImageNet table (the reference repo states no ImageNet number).
# Teacher: torchvision's ResNet-34 weights, converted with
#   python tools/model_converters/convert_reference.py resnet34-b627a593.pth \
#       work_dirs/teachers/resnet34_torchvision.pth --layout torchvision \
#       --config configs/_base_/models/resnet34_imagenet.py
_base_ = [
    '../../_base_/datasets/imagenet_bs32_semckd.py', '../../_base_/default_runtime.py',
    '../../_base_/distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student=dict(cfg_path='configs/_base_/models/resnet18_imagenet.py'),
    teacher=dict(cfg_path='configs/_base_/models/resnet34_imagenet.py'),
    teacher_ckpt='work_dirs/teachers/resnet34_torchvision.pth',
    student_loss_weight=1.0,  # -r 1
    input_size=(224, 224),  # the reference reads the channel lists from a 224x224 dummy batch
    distill_losses=dict(
        kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),  # -a 1, --kd_T 4
        semckd=dict(
            type='SemCKDLoss',
            loss_weight=50.0,  # -b 50
            # SelfA's key/query MLPs take the per-GPU batch as input width (256 / 8 GPUs = 32:
            # 32 -> 16 -> 8); must equal train_dataloader.batch_size
            connector=dict(type='SelfAttentionConnector', batch_size=32))),
)
# SelfA needs full batches (the DALI loader of the reference never yields a short one)
train_dataloader = dict(batch_size=32, drop_last=True)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=False))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=90, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# `--auto-scale-lr` scales lr linearly from this total batch
auto_scale_lr = dict(base_batch_size=256)
