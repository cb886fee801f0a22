# Tf-KD_reg (virtual teacher), MobileNetV2 (Tiny-ImageNet, paper variant). No published
#   Tiny-ImageNet number in the reference.
# Reference: --regularization with experiments/base_experiments/base_mobilenetv2 (reg_alpha 0.95,
#   reg_temperature 40, multiplier 1.0; batch 128, lr 0.1). No teacher network: the loss of the
#   classification head.
# variant='paper' (the paper's Eq. 9; the author says Tiny-ImageNet and ImageNet soften both sides,
#   reference issue #3): (1 - alpha)*CE + alpha*m*T^2*KL(softmax(P/T) || softmax(z/T)), KL averaged
#   over the N*K elements. The reference code's form is mobilenetv2_reg.py.
_base_ = ['../../_base_/models/mobilenetv2_tfkd.py', '../../_base_/datasets/tiny_imagenet_tfkd.py',
          '../../_base_/schedules/tfkd_200e.py', '../../_base_/tfkd_runtime.py']
model = dict(
    head=dict(
        num_classes=200,
        loss=dict(
            _delete_=True,
            type='TfKDRegularizationLoss',
            alpha=0.95,
            temperature=40.0,
            multiplier=1.0,
            correct_prob=0.99,  # hard-coded in the reference
            variant='paper',
            reduction='elementwise_mean')))
