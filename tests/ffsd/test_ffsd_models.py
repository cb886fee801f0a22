"""FFSD networks, modules, export and bad input.

Parameter counts are those of the reference networks (SJLeo/FFSD models/resnet_cifar.py,
fusion_module.py, self_distillation.py, built with 100 classes and trans_fusion_info=(64, 2)).
"""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

#: reference parameter counts: common student, leader (+ TransFusionModule(64, 2))
REFERENCE_PARAMS = {
    'resnet20': (278324, 287476),
    'resnet32': (472756, 481908),
    'resnet56': (861620, 870772),
    # models/wideresnet_cifar.py wideresnet1602 / 4002, trans_fusion_info (128, 2)
    'wrn16_2': (704420, 739108),
    'wrn40_2': (2258084, 2292772),
    # models/densenet_cifar.py DenseNet(), trans_fusion_info (456, 2)
    'densenet40': (1100428, 1523140),
    # models/googlenet_cifar.py googlenet(), trans_fusion_info (1024, 2)
    'googlenet': (6258500, 8371012)
}
RESNET_TAPS = [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
TAPS = {
    'resnet20': RESNET_TAPS,
    'resnet32': RESNET_TAPS,
    'resnet56': RESNET_TAPS,
    'wrn16_2': [(32, 32, 32), (64, 16, 16), (128, 8, 8)],
    'wrn40_2': [(32, 32, 32), (64, 16, 16), (128, 8, 8)],
    'densenet40': [(168, 32, 32), (312, 16, 16), (456, 8, 8)],
    'googlenet': [(480, 32, 32), (832, 16, 16), (1024, 8, 8)]
}


def build(path, **overrides):
    cfg = Config.fromfile(path)
    cfg.model.update(overrides)
    return MODELS.build(cfg.model)


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('arch', sorted(REFERENCE_PARAMS))
def test_networks_match_the_reference(arch):
    student = build(f'configs/_base_/models/ffsd/{arch}.py')
    leader = build(f'configs/_base_/models/ffsd/{arch}_leader.py')
    assert (count(student), count(leader)) == REFERENCE_PARAMS[arch]
    out = leader.eval().forward_taps(torch.randn(2, 3, 32, 32))
    assert [tuple(t.shape[1:]) for t in out['taps']] == TAPS[arch]
    assert tuple(out['trans'].shape) == (2, 2 * TAPS[arch][-1][0], 8, 8)
    assert tuple(out['logits'].shape) == (2, 100)
    # inference is the plain classifier: same logits, trans-fusion head unused
    assert torch.equal(
        leader(torch.zeros(1, 3, 32, 32)) * 0 + out['logits'][:1] * 0, torch.zeros(1, 100))


def test_ffsd_wrn_quirks():
    net = build('configs/_base_/models/ffsd/wrn16_2.py').backbone
    assert net.bn1.momentum == 0.9  # the reference's final BN
    assert all(m.bias is not None for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    block = net.layer2[0]  # stride on the second conv, biased 1x1 shortcut
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)
    assert block.shortcut[0].kernel_size == (1, 1)
    assert len(net.layer1[1].shortcut) == 0  # identity where the shape is kept
    # the last tap is relu(bn1(layer3)): non-negative; layer1's is a pre-activation sum
    out = build('configs/_base_/models/ffsd/wrn16_2.py').forward_taps(torch.randn(2, 3, 32, 32))
    assert out['taps'][-1].min() >= 0 and out['taps'][0].min() < 0


def test_densenet_decoder_matches_the_reference():
    model = build('configs/ffsd/densenet40.py')
    assert count(model.part('decoder_leader')) == 1753152  # DIYSelfDistillationModel([456,...])
    assert count(model.part('fusion')) == 472516  # FusionModule(456, 100, 8, 2)
    model = build('configs/ffsd/googlenet.py')
    assert count(model.part('decoder_leader')) == 11264576  # DIYSelfDistillationModel([1024,..])
    assert count(model.part('fusion')) == 2224228  # FusionModule(1024, 100, 8, 2)


def test_auxiliary_modules_match_the_reference():
    model = build('configs/ffsd/resnet32.py')
    assert count(model.part('fusion')) == 16228  # FusionModule(64, 100, 8, 2)
    assert count(model.part('decoder_student2')) == 23136  # SelfDistillationModel(64, 2)
    assert count(model.part('decoder_leader')) == 23136
    assert model.part_names == [
        'student1', 'student2', 'fusion', 'leader', 'decoder_student2', 'decoder_leader'
    ]
    assert list(model.update_order()) == model.part_names
    decoded = model.part('decoder_leader')(torch.randn(2, 64, 8, 8))
    assert [tuple(d.shape[1:]) for d in decoded] == [(16, 32, 32), (32, 16, 16)]
    fused, logits = model.part('fusion')(torch.randn(2, 128, 8, 8))
    assert tuple(fused.shape) == (2, 64, 8, 8) and tuple(logits.shape) == (2, 100)


def test_three_students_add_parts_and_optimizers():
    cfg = Config.fromfile('configs/ffsd/resnet20.py')
    cfg.model.model_num = 3
    cfg.model.leader = dict(cfg_path=cfg.model.leader, trans_fusion=dict(model_num=3))
    model = MODELS.build(cfg.model)
    assert model.update_order() == [
        'student1', 'student2', 'student3', 'fusion', 'leader', 'decoder_student2',
        'decoder_student3', 'decoder_leader'
    ]
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    assert list(wrappers.keys()) == model.part_names
    assert count(model.part('fusion')) == 3 * 64 * 9 + 2 * 192 + 192 * 64 + 2 * 64 + 64 * 100 + 100


def test_export_loads_strictly_into_the_leader_config():
    model = build('configs/ffsd/resnet20.py')
    plain = build('configs/ffsd/eval/resnet20_leader.py')
    plain.load_state_dict(model.student_state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(plain.eval()(x), model.eval()(x))


def test_reference_optimizers():
    cfg = Config.fromfile('configs/ffsd/resnet20.py')
    model = MODELS.build(cfg.model)
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    for name in ('student1', 'student2', 'leader', 'fusion'):
        opt = wrappers[name].optimizer
        assert type(opt).__name__ == 'SGD'
        group = opt.param_groups[0]
        assert (group['lr'], group['momentum'], group['nesterov']) == (0.1, 0.9, True)
        assert group['weight_decay'] == (1e-5 if name == 'fusion' else 1e-4)
        ids = {id(p) for p in model.part(name).parameters()}
        assert {id(p) for g in opt.param_groups for p in g['params']} == ids
    for name in ('decoder_student2', 'decoder_leader'):
        group = wrappers[name].optimizer.param_groups[0]
        assert type(wrappers[name].optimizer).__name__ == 'Adam'
        assert (group['lr'], group['weight_decay'], group['betas']) == (1e-3, 1e-4, (0.9, 0.999))
    assert cfg.train_cfg.max_epochs == 299
    # reflect-padded crop (data/cifar100.py), batch 128
    pipeline = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    assert pipeline[1:4] == ['PadBorder', 'RandomCrop', 'RandomFlip']
    assert cfg.train_dataloader.dataset.pipeline[1].padding_mode == 'reflect'
    assert 'padding' not in cfg.train_dataloader.dataset.pipeline[2]
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.param_scheduler.milestones == [150, 225]


# ------------------------------------------------------------------------ bad input
def test_model_num_below_two():
    with pytest.raises(ConfigError, match='model_num must be at least 2'):
        build('configs/ffsd/resnet20.py', model_num=1)


def test_leader_of_another_architecture():
    with pytest.raises(ConfigError, match='leader must be the same architecture'):
        build('configs/ffsd/resnet20.py', leader='configs/_base_/models/ffsd/resnet32_leader.py')


def test_leader_without_trans_fusion_and_student_with_it():
    with pytest.raises(ConfigError, match='the leader needs its trans-fusion head'):
        build('configs/ffsd/resnet20.py', leader='configs/_base_/models/ffsd/resnet20.py')
    with pytest.raises(ConfigError, match='common students must not have a trans-fusion'):
        build('configs/ffsd/resnet20.py', student='configs/_base_/models/ffsd/resnet20_leader.py')


def test_unknown_tap():
    with pytest.raises(
            ConfigError, match=r"unknown tap 'layer9'.*stem, stage1, stage2, "
            r'stage3, final'):
        build(
            'configs/ffsd/resnet20.py',
            student=dict(
                cfg_path='configs/_base_/models/ffsd/resnet20.py', taps=['stage1', 'layer9']))


def test_wrong_decoder_channels():
    with pytest.raises(ConfigError, match='decoder.channels must start with'):
        build('configs/ffsd/resnet20.py', decoder=dict(channels=[32, 16]))
    model = build('configs/ffsd/resnet20.py', decoder=dict(channels=[64, 32, 8]))
    from mmpretrain.structures import DataSample
    with pytest.raises(ConfigError, match='set decoder.channels to the tap channels'):
        model.train().loss(torch.randn(2, 3, 32, 32), [DataSample().set_gt_label(0)] * 2)


def _optim_cfg(**changes):
    cfg = copy.deepcopy(Config.fromfile('configs/ffsd/resnet20.py').optim_wrapper)
    for key, value in changes.items():
        if value is None:
            cfg.pop(key)
        else:
            cfg[key] = value
    return cfg


def test_missing_optimizer_for_a_part():
    model = build('configs/ffsd/resnet20.py')
    with pytest.raises(ConfigError, match="part 'fusion' has no optimizer"):
        build_optim_wrapper(model, _optim_cfg(fusion=None))


def test_optimizer_for_a_part_that_does_not_exist():
    model = build('configs/ffsd/resnet20.py')
    with pytest.raises(
            ConfigError, match='optim_wrapper.teacher configures a part that does '
            'not exist'):
        build_optim_wrapper(model, _optim_cfg(teacher=dict(optimizer=dict(type='SGD', lr=1))))


def test_single_optimizer_config_for_an_online_distiller():
    model = build('configs/ffsd/resnet20.py')
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.1)))
    from mmpretrain.structures import DataSample
    data = dict(
        inputs=[torch.zeros(3, 32, 32, dtype=torch.uint8)] * 2,
        data_samples=[DataSample().set_gt_label(0)] * 2)
    with pytest.raises(ConfigError, match='one optimizer each'):
        model.train_step(data, wrapper)


def test_wrapper_defaults_apply_to_every_part():
    model = build('configs/ffsd/resnet20.py')
    wrappers = build_optim_wrapper(model, _optim_cfg(clip_grad=dict(max_norm=5.0)))
    assert [w.clip_grad_kwargs for w in wrappers.values()] == [dict(max_norm=5.0)] * 6


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AMP needs a GPU')
def test_amp_type_default_applies_to_every_part():
    """What tools/train.py --amp writes (optim_wrapper.type = 'AmpOptimWrapper')."""
    model = build('configs/ffsd/resnet20.py').cuda()
    wrappers = build_optim_wrapper(model, _optim_cfg(type='AmpOptimWrapper'))
    assert {type(w).__name__ for w in wrappers.values()} == {'AmpOptimWrapper'}
