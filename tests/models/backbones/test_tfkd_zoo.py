"""Tf-KD CIFAR zoo, the kuangliu-style CIFAR ResNets (Tf-KD / RepDistiller) and torchvision's
ImageNet ResNets.

Reference numbers (parameter counts, state_dict key names and counts) were measured once by
running the reference model code outside this repository (torch 2.x, 100 classes for CIFAR,
1000 for ImageNet):

* Tf-KD ``yuanli2333/Teacher-free-Knowledge-Distillation`` @ d000ab3, ``model/*.py``;
* RepDistiller ``HobbitLong/RepDistiller`` @ b84f547, ``models/resnetv2.py`` (ResNet50);
* ``torchvision.models.resnet18/34`` (0.29).

The reference state_dicts, converted with each module's ``convert_reference_state_dict``,
reproduced the reference logits in float64 to ≤ 2e-15 (a manual check; reference code and its
outputs are not part of the repository).
"""
import importlib
from pathlib import Path

import pytest
import torch
from mmengine import Config

from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

register_all_modules()

CONFIGS = Path(__file__).resolve().parents[3] / 'configs' / '_base_' / 'models'
CIFAR = (32, 32)
IMNET = (64, 64)

# name: params   - total parameter count of the reference model (see module docstring)
#       module   - backbone module holding convert_reference_state_dict
#       stem, stages, final - (C, H, W) for a batch-2 input of size ``size``
#       emb      - embedding width; classes - logits width
#       preact   - whether ``preact=True`` changes the stage outputs
#       n_keys   - len(reference_model.state_dict())
#       ref_keys - reference state_dict keys (first two, three distinctive ones, last three)
CASES = {
    'resnet18':
    dict(
        params=11_220_132,  # Tf-KD model/resnet.py ResNet18(num_classes=100)
        module='resnet_v2_cifar',
        size=CIFAR,
        stem=(64, 32, 32),
        stages=[(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4)],
        final=(512, 4, 4),
        emb=512,
        classes=100,
        preact=True,
        n_keys=122,
        ref_keys=[
            'conv1.weight', 'bn1.weight', 'layer2.0.shortcut.0.weight',
            'layer2.0.shortcut.1.running_var', 'layer4.1.conv2.weight',
            'layer4.1.bn2.num_batches_tracked', 'linear.weight', 'linear.bias'
        ]),
    'resnet50':
    dict(
        params=23_705_252,  # RepDistiller models/resnetv2.py ResNet50 (== Tf-KD ResNet50)
        module='resnet_v2_cifar',
        size=CIFAR,
        stem=(64, 32, 32),
        stages=[(256, 32, 32), (512, 16, 16), (1024, 8, 8), (2048, 4, 4)],
        final=(2048, 4, 4),
        emb=2048,
        classes=100,
        preact=True,
        n_keys=320,
        ref_keys=[
            'conv1.weight', 'bn1.weight', 'layer1.0.shortcut.0.weight', 'layer3.5.conv3.weight',
            'layer4.0.shortcut.1.num_batches_tracked', 'layer4.2.bn3.num_batches_tracked',
            'linear.weight', 'linear.bias'
        ]),
    'googlenet':
    dict(
        params=6_258_500,  # Tf-KD model/googlenet.py googlenet(num_class=100)
        module='googlenet_cifar',
        size=CIFAR,
        stem=(192, 32, 32),
        stages=[(480, 32, 32), (832, 16, 16), (1024, 8, 8)],
        final=(1024, 8, 8),
        emb=1024,
        classes=100,
        preact=False,
        n_keys=450,
        ref_keys=[
            'prelayer.0.weight', 'prelayer.0.bias', 'a3.b3.4.running_var', 'e4.b4.1.weight',
            'b5.b2.3.bias', 'b5.b4.2.num_batches_tracked', 'linear.weight', 'linear.bias'
        ]),
    'densenet121':
    dict(
        params=7_048_548,  # Tf-KD model/densenet.py densenet121(num_class=100)
        module='densenet_cifar',
        size=CIFAR,
        stem=(64, 32, 32),
        stages=[(256, 32, 32), (512, 16, 16), (1024, 8, 8), (1024, 4, 4)],
        final=(1024, 4, 4),
        emb=1024,
        classes=100,
        preact=False,
        n_keys=722,
        ref_keys=[
            'conv1.weight', 'features.dense_block_layer_0.bottle_neck_layer_0.bottle_neck.0.weight',
            'features.transition_layer_2.down_sample.1.weight',
            'features.dense_block3.bottle_neck_layer_15.bottle_neck.5.weight',
            'features.dense_block_layer_2.bottle_neck_layer_23.bottle_neck.3.running_mean',
            'features.bn.num_batches_tracked', 'linear.weight', 'linear.bias'
        ]),
    'resnext29_8x64d':
    dict(
        params=34_518_948,  # Tf-KD model/resnext.py CifarResNeXt(8, 29, 100, 4)
        module='resnext_cifar',
        size=CIFAR,
        stem=(64, 32, 32),
        stages=[(256, 32, 32), (512, 16, 16), (1024, 8, 8)],
        final=(1024, 8, 8),
        emb=1024,
        classes=100,
        preact=True,
        n_keys=188,
        ref_keys=[
            'conv_1_3x3.weight', 'bn_1.weight',
            'stage_2.stage_2_bottleneck_0.shortcut.shortcut_conv.weight',
            'stage_1.stage_1_bottleneck_2.conv_conv.weight',
            'stage_3.stage_3_bottleneck_0.shortcut.shortcut_bn.running_var',
            'stage_3.stage_3_bottleneck_2.bn_expand.num_batches_tracked', 'classifier.weight',
            'classifier.bias'
        ]),
    'mobilenetv2_tfkd':
    dict(
        params=2_369_380,  # Tf-KD model/mobilenetv2.py mobilenetv2(class_num=100)
        module='mobilenetv2_tfkd',
        size=CIFAR,
        stem=(32, 34, 34),
        stages=[(16, 34, 34), (24, 17, 17), (32, 9, 9), (64, 5, 5), (96, 5, 5), (160, 5, 5),
                (320, 5, 5)],
        final=(1280, 5, 5),
        emb=1280,
        classes=100,
        preact=False,
        n_keys=373,
        ref_keys=[
            'pre.0.weight', 'pre.0.bias', 'stage1.residual.0.weight', 'stage6.2.residual.3.weight',
            'stage7.residual.7.num_batches_tracked', 'conv1.1.num_batches_tracked', 'conv2.weight',
            'conv2.bias'
        ]),
    'shufflenetv2_tfkd':
    dict(
        params=1_360_896,  # Tf-KD model/shufflenetv2.py shufflenetv2(class_num=100)
        module='shufflenetv2_tfkd',
        size=CIFAR,
        stem=(24, 32, 32),
        stages=[(116, 16, 16), (232, 8, 8), (464, 4, 4)],
        final=(1024, 4, 4),
        emb=1024,
        classes=100,
        preact=False,
        n_keys=394,
        ref_keys=[
            'pre.0.weight', 'pre.0.bias', 'stage2.0.shortcut.0.weight', 'stage3.7.residual.5.bias',
            'stage4.3.residual.6.running_var', 'conv5.1.num_batches_tracked', 'fc.weight', 'fc.bias'
        ]),
    'resnet18_imagenet':
    dict(
        params=11_689_512,  # torchvision.models.resnet18()
        module='resnet_imagenet',
        size=IMNET,
        stem=(64, 16, 16),
        stages=[(64, 16, 16), (128, 8, 8), (256, 4, 4), (512, 2, 2)],
        final=(512, 2, 2),
        emb=512,
        classes=1000,
        preact=True,
        n_keys=122,
        ref_keys=[
            'conv1.weight', 'bn1.weight', 'layer2.0.downsample.0.weight', 'layer3.1.bn1.bias',
            'layer4.0.downsample.1.running_mean', 'layer4.1.bn2.num_batches_tracked', 'fc.weight',
            'fc.bias'
        ]),
    'resnet34_imagenet':
    dict(
        params=21_797_672,  # torchvision.models.resnet34()
        module='resnet_imagenet',
        size=IMNET,
        stem=(64, 16, 16),
        stages=[(64, 16, 16), (128, 8, 8), (256, 4, 4), (512, 2, 2)],
        final=(512, 2, 2),
        emb=512,
        classes=1000,
        preact=True,
        n_keys=218,
        ref_keys=[
            'conv1.weight', 'bn1.weight', 'layer3.5.conv2.weight', 'layer2.0.downsample.1.weight',
            'layer4.2.bn2.weight', 'layer4.2.bn2.num_batches_tracked', 'fc.weight', 'fc.bias'
        ]),
}
NAMES = list(CASES)
# backbones whose ``final`` comes from a post-stage block (one extra out_indices entry)
POST_BLOCK = {'densenet121', 'mobilenetv2_tfkd', 'shufflenetv2_tfkd'}

_cache = {}


def _cfg(name):
    return Config.fromfile(str(CONFIGS / f'{name}.py'))


def _model(name):
    """Build each config once per test session (eval mode)."""
    if name not in _cache:
        torch.manual_seed(0)
        _cache[name] = MODELS.build(_cfg(name).model).eval()
    return _cache[name]


def _input(name):
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 3, *CASES[name]['size'], generator=g)


def _shape(t):
    return tuple(t.shape[1:])


@pytest.mark.parametrize('name', NAMES)
def test_params_shapes_and_preact(name):
    case = CASES[name]
    model = _model(name)
    assert sum(p.numel() for p in model.parameters()) == case['params']

    backbone = model.backbone
    x = _input(name)
    with torch.no_grad():
        feats = backbone.forward_features(x)
        pre = backbone.forward_features(x, preact=True)
        logits = model(x, mode='tensor')
        emb = model.neck(feats.final)

    assert _shape(feats.stem) == case['stem']
    assert [_shape(s) for s in feats.stages] == case['stages']
    assert _shape(feats.final) == case['final']
    assert backbone.num_stages == len(case['stages'])
    assert backbone.out_channels == case['final'][0]
    assert tuple(emb.shape) == (2, case['emb'])
    assert tuple(logits.shape) == (2, case['classes'])
    assert torch.allclose(logits, model.head.fc(emb), atol=1e-5)
    # the default out_indices (-1,) is the map the classifier pools
    with torch.no_grad():
        outs = backbone(x)
    assert len(outs) == 1 and torch.equal(outs[0], feats.final)

    # preact: stem and final never change
    assert torch.equal(pre.stem, feats.stem)
    assert torch.equal(pre.final, feats.final)
    # post-activation stages are the same with or without preact (one forward gives both)
    for a, b in zip(feats.stages, pre.stages):
        assert torch.equal(a, b)
    for post_s, pre_s in zip(feats.stages, pre.stage_outputs(preact=True)):
        assert pre_s.shape == post_s.shape
        if case['preact']:
            assert (post_s >= 0).all()
            assert (pre_s < 0).any()
            assert torch.equal(torch.relu(pre_s), post_s)
        else:
            assert torch.equal(pre_s, post_s)


@pytest.mark.parametrize('name', NAMES)
def test_out_indices_range(name):
    bb_cfg = _cfg(name).model.backbone
    cls = MODELS.get(bb_cfg['type'])
    n = cls.num_stages + int(cls.has_post_block)
    assert n == len(CASES[name]['stages']) + int(name in POST_BLOCK)
    for bad in (n, -n - 1):
        with pytest.raises(ValueError):
            MODELS.build(dict(bb_cfg, out_indices=(bad, )))
    # valid indices normalise (checked on the built model, no rebuild)
    backbone = _model(name).backbone
    assert backbone._normalise_index(-1) == n - 1
    assert backbone._normalise_index(-n) == 0


@pytest.mark.parametrize('name', NAMES)
def test_reference_key_conversion(name):
    case = CASES[name]
    ours = {
        k: v
        for k, v in _model(name).state_dict().items() if k.startswith(('backbone.', 'head.'))
    }
    assert len(ours) == case['n_keys']
    convert = importlib.import_module(
        f'mmkd.models.backbones.{case["module"]}').convert_reference_state_dict
    fake = {k: torch.zeros(1) for k in case['ref_keys']}
    converted = convert(fake)
    assert len(converted) == len(fake)
    for key in converted:
        assert key in ours, key
    assert 'head.fc.weight' in converted and 'head.fc.bias' in converted


def test_other_arch_param_counts():
    """ResNet-34 (CIFAR) and ResNet-50 (torchvision) parameter counts, via backbone+head."""
    # Tf-KD model/resnet.py ResNet34(num_classes=100): 21,328,292
    bb = MODELS.build(dict(type='ResNetV2Cifar', arch='resnet34', init='tfkd'))
    assert sum(p.numel() for p in bb.parameters()) + 512 * 100 + 100 == 21_328_292
    # torchvision.models.resnet50(): 25,557,032
    bb = MODELS.build(dict(type='ResNetImageNet', arch='resnet50'))
    assert sum(p.numel() for p in bb.parameters()) + 2048 * 1000 + 1000 == 25_557_032
    with torch.no_grad():
        f = bb.eval().forward_features(torch.randn(2, 3, 64, 64))
    assert [_shape(s) for s in f.stages] == [(256, 16, 16), (512, 8, 8), (1024, 4, 4), (2048, 2, 2)]


def test_resnet_v2_init_modes():
    torch.manual_seed(0)
    rd = MODELS.build(dict(type='ResNetV2Cifar', arch='resnet18', init='repdistiller'))
    tf = MODELS.build(dict(type='ResNetV2Cifar', arch='resnet18', init='tfkd'))
    w_rd, w_tf = rd.layer3[0].conv2.weight, tf.layer3[0].conv2.weight
    # kaiming-normal fan_out: std = sqrt(2 / (256*9)) = 0.0295; PyTorch default
    # kaiming-uniform(a=sqrt(5)), fan_in: std = 1/sqrt(3 * 256*9) = 0.0121
    assert abs(w_rd.std().item() - 0.0295) < 0.002
    assert abs(w_tf.std().item() - 0.0121) < 0.001
    with pytest.raises(ValueError):
        MODELS.build(dict(type='ResNetV2Cifar', arch='resnet18', init='xavier'))
    with pytest.raises(KeyError):
        MODELS.build(dict(type='ResNetV2Cifar', arch='resnet101'))


def test_googlenet_bn_eps_quirk():
    quirky = _model('googlenet').backbone
    for name, cfg in quirky.inception_settings.items():
        assert getattr(quirky, name).b3[4].eps == float(cfg[5])  # BatchNorm2d(n5x5, n5x5)
        assert getattr(quirky, name).b3[1].eps == 1e-5
    fixed = MODELS.build(dict(type='GoogLeNetCifar', bn_eps_quirk=False))
    assert all(m.eps == 1e-5 for m in fixed.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_converter_details():
    from mmkd.models.backbones.mobilenetv2_tfkd import convert_reference_state_dict as mv2
    from mmkd.models.backbones.resnext_cifar import convert_reference_state_dict as rx
    sd = mv2({
        'pre.0.weight': torch.zeros(32, 3, 1, 1),
        'conv2.weight': torch.ones(100, 1280, 1, 1),
        'conv2.bias': torch.zeros(100)
    })
    assert tuple(sd['head.fc.weight'].shape) == (100, 1280)
    assert set(sd) == {'backbone.pre.0.weight', 'head.fc.weight', 'head.fc.bias'}
    # nn.DataParallel checkpoints (Tf-KD's ResNeXt29 De-KD teacher)
    sd = rx({'module.conv_1_3x3.weight': torch.zeros(1), 'module.classifier.bias': torch.zeros(1)})
    assert set(sd) == {'backbone.conv_1_3x3.weight', 'head.fc.bias'}
