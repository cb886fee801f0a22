"""The CIFAR/ImageNet model zoo: backbones returning the feature lists distillers read."""
from .base import BackboneFeatures, BaseBackbone
from .densenet_cifar import DenseNetCifar
from .ffsd_densenet import FFSDDenseNet
from .ffsd_googlenet import FFSDGoogLeNet
from .ffsd_wrn import FFSDWideResNet
from .googlenet_cifar import GoogLeNetCifar
from .mobilenetv2_cifar import MobileNetV2Cifar
from .mobilenetv2_hsakd import MobileNetV2HSAKD
from .mobilenetv2_tfkd import MobileNetV2TfKD
from .mobilenetv2_unixkd import MobileNetV2UNIXKD
from .resnet_cifar import ResNetCifar
from .resnet_imagenet import ResNetImageNet
from .resnet_v2_cifar import ResNetV2Cifar
from .resnext_cifar import ResNeXtCifar
from .shufflenetv1_cifar import ShuffleNetV1Cifar
from .shufflenetv2_cifar import ShuffleNetV2Cifar
from .shufflenetv2_tfkd import ShuffleNetV2TfKD
from .vgg_cifar import VGGCifar
from .wrn import WideResNetCifar

__all__ = [
    'BackboneFeatures', 'BaseBackbone', 'DenseNetCifar', 'GoogLeNetCifar', 'MobileNetV2Cifar',
    'MobileNetV2HSAKD', 'MobileNetV2TfKD', 'ResNetCifar', 'ResNetImageNet', 'ResNetV2Cifar',
    'ResNeXtCifar', 'ShuffleNetV1Cifar', 'ShuffleNetV2Cifar', 'ShuffleNetV2TfKD', 'VGGCifar',
    'WideResNetCifar', 'MobileNetV2UNIXKD', 'FFSDDenseNet', 'FFSDGoogLeNet', 'FFSDWideResNet'
]
