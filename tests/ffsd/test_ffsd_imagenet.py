"""FFSD's ImageNet recipe (SJLeo/FFSD ImageNetTrainer.py, data/imagenet.py,
models/resnet_imagenet.py): networks and taps, the per-iteration learning rate of every part
against the reference's ``adjust_learning_rates`` written out again, the config, and (slow) a
training run through tools/train.py and tools/test.py on a tiny generated ImageNet."""
import bisect
import glob
import json
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
import torchvision
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from mmkd.registry import MODELS, PARAM_SCHEDULERS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import ConfigError
from tests.utils import ROOT, run_tool

CONFIGS = {
    a: osp.join(ROOT, 'configs', 'ffsd', 'imagenet', f'{a}.py')
    for a in ('resnet18', 'resnet34')
}
PARTS = ['student1', 'student2', 'fusion', 'leader', 'decoder_student2', 'decoder_leader']


def build(path):
    return MODELS.build(Config.fromfile(path).model)


def count(module):
    return sum(p.numel() for p in module.parameters())


def trans_fusion_params(c=512, m=2):
    """TransFusionModule(C, 7, M): depthwise 3x3 (C), BN (C), 1x1 C -> M*C, BN (M*C)."""
    return c * 9 + 2 * c + c * m * c + 2 * m * c


@pytest.mark.parametrize('arch', ['resnet18', 'resnet34'])
def test_networks_match_torchvision_and_the_reference_taps(arch):
    student = build(f'configs/_base_/models/ffsd/imagenet_{arch}.py')
    leader = build(f'configs/_base_/models/ffsd/imagenet_{arch}_leader.py')
    reference = count(getattr(torchvision.models, arch)(num_classes=1000))
    assert count(student) == reference  # 11,689,512 / 21,797,672
    assert count(leader) == reference + trans_fusion_params()
    with torch.no_grad():
        out = leader.eval().forward_taps(torch.randn(1, 3, 224, 224))
    assert [tuple(t.shape[1:]) for t in out['taps']] == [(64, 56, 56), (128, 28, 28), (256, 14, 14),
                                                         (512, 7, 7)]  # layer1..layer4
    assert tuple(out['trans'].shape) == (1, 1024, 7, 7)
    assert tuple(out['logits'].shape) == (1, 1000)
    # torchvision's init (kaiming fan_out), no zero-init of the residual BNs
    assert all(
        float(m.weight.detach().min()) == 1.0 for m in student.modules()
        if isinstance(m, torch.nn.BatchNorm2d))


def test_recipe_follows_the_reference_trainer():
    cfg = Config.fromfile(CONFIGS['resnet18'])
    assert cfg.train_cfg.max_epochs == 89  # range(1, 90)
    assert cfg.train_dataloader.batch_size == 256 and cfg.val_dataloader.batch_size == 256
    ow = cfg.optim_wrapper
    for key in ('student*', 'leader', 'fusion'):
        opt = ow[key].optimizer
        assert (opt.type, opt.lr, opt.momentum, opt.nesterov) == ('SGD', 0.1, 0.9, True)
        assert opt.weight_decay == (1e-5 if key == 'fusion' else 1e-4)
    dec = ow['decoder_*'].optimizer
    assert (dec.type, dec.lr, dec.weight_decay) == ('Adam', 1e-3, 1e-4)
    assert list(cfg.param_scheduler) == PARTS
    crop = next(t for t in cfg.train_pipeline if t['type'] == 'RandomResizedCrop')
    assert (crop['scale'], tuple(crop['crop_ratio_range']),
            tuple(crop['aspect_ratio_range'])) == (224, (0.08, 1.0), (3 / 4, 4 / 3))
    assert [t['type'] for t in cfg.test_pipeline
            ] == ['LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs']
    assert cfg.test_pipeline[1]['scale'] == 256 and cfg.test_pipeline[2]['crop_size'] == 224
    m = cfg.model
    assert (m.lambda_diversity, m.lambda_fusion, m.lambda_self_distillation) == (1e-5, 10., 1e3)
    assert (m.fusion.channels, m.fusion.spatial) == (512, 7)
    assert list(m.decoder.channels) == [512, 256, 128, 64]
    assert m.weight_schedules.fusion == dict(type='ExpRampUp', epochs=5, scale=5.0)
    header = open(CONFIGS['resnet34']).read()
    assert 'Published student-leader top-1 (SJLeo/FFSD README, one run): 74.69' in header
    assert 'best test-set epoch' in header


# ----------------------------------------------------------------------- learning rate
def reference_lr(epoch, step, len_epoch, base=0.1):
    """SJLeo/FFSD ImageNetTrainer.py ``adjust_lr`` written out again (1-based ``epoch``)."""
    factor = epoch // 30
    if epoch >= 80:
        factor = factor + 1
    lr = base * (0.1**factor)
    if epoch < 5:
        lr = lr * float(1 + step + epoch * len_epoch) / (5. * len_epoch)
    return lr


def simulate(schedulers_cfg, epoch_length, max_epochs=89, base=0.1):
    """Every iteration's lr, the parameter schedulers built and stepped as mmengine's Runner and
    ParamSchedulerHook do (iteration-based ones after each iteration, epoch-based ones after
    each epoch)."""
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=base, momentum=0.9))
    scheds = []
    for cfg in schedulers_cfg:
        cfg = dict(cfg)
        cfg.setdefault('end', max_epochs)  # the Runner's default end
        scheds.append(
            PARAM_SCHEDULERS.build(
                cfg, default_args=dict(optimizer=wrapper, epoch_length=epoch_length)))
    lrs = []
    for _ in range(max_epochs):
        for _ in range(epoch_length):
            lrs.append(wrapper.optimizer.param_groups[0]['lr'])
            wrapper.optimizer.step()
            for s in scheds:
                if not s.by_epoch:
                    s.step()
        for s in scheds:
            if s.by_epoch:
                s.step()
    return lrs


@pytest.mark.parametrize('n, length', [(11, 10), (10, 10)])
def test_network_lr_every_iteration_equals_the_reference(n, length):
    """``n`` loader batches per epoch, the reference's ``len_epoch = len(dataset) // batch``:
    one less when the batch does not divide the set (ImageNet-1k: 5005 and 5004)."""
    cfg = Config.fromfile(CONFIGS['resnet18'])
    for part in ('student1', 'student2', 'fusion', 'leader'):
        scheds = [dict(s) for s in cfg.param_scheduler[part]]
        assert scheds[0]['reference_epoch_length'] == 1281167 // 256
        scheds[0]['reference_epoch_length'] = length
        got = simulate(scheds, n)
        want = [reference_lr(e, s, length) for e in range(1, 90) for s in range(n)]
        assert len(got) == len(want) == 89 * n
        for i, (g, w) in enumerate(zip(got, want)):
            assert g == pytest.approx(w, rel=1e-12, abs=0), (part, divmod(i, n))
    # chosen points: the first iteration at ~0.2 of the lr, the first un-warmed iteration, the
    # decays at the 1-based epochs 30, 60 and 80
    assert got[0] == pytest.approx(0.1 * (1 + length) / (5 * length))
    assert got[4 * n - 1] == pytest.approx(0.1 * (1 + (n - 1) + 4 * length) / (5 * length))
    assert got[4 * n] == pytest.approx(0.1)
    for epoch, lr in ((29, 0.1), (30, 0.01), (59, 0.01), (60, 1e-3), (79, 1e-3), (80, 1e-4),
                      (89, 1e-4)):
        assert got[(epoch - 1) * n] == pytest.approx(lr, rel=1e-12), epoch


def test_decoder_lr_is_the_reference_per_epoch_multistep():
    cfg = Config.fromfile(CONFIGS['resnet18'])
    n = 7
    got = simulate(cfg.param_scheduler['decoder_leader'], n, base=1e-3)
    # the reference: torch MultiStepLR([30, 60, 80]) stepped after each epoch of range(1, 90)
    param = torch.nn.Parameter(torch.zeros(1))
    adam = torch.optim.Adam([param], lr=1e-3, weight_decay=1e-4)
    ref = torch.optim.lr_scheduler.MultiStepLR(adam, milestones=[30, 60, 80], gamma=0.1)
    want = []
    for _ in range(1, 90):
        want += [adam.param_groups[0]['lr']] * n
        adam.step()
        ref.step()
    assert got == pytest.approx(want, rel=1e-12)
    assert got[30 * n - 1] == pytest.approx(1e-3) and got[30 * n] == pytest.approx(1e-4)
    assert bisect.bisect_right([30, 60, 80], 88) == 3 and got[-1] == pytest.approx(1e-6)


def test_reference_epoch_length_of_another_loader_falls_back_with_a_warning(caplog):
    cfg = Config.fromfile(CONFIGS['resnet18'])
    from mmengine.logging import MMLogger
    MMLogger.get_instance('ffsd_lr_test')
    with caplog.at_level('WARNING'):
        got = simulate(cfg.param_scheduler['student1'], 3, max_epochs=6)
    assert got == pytest.approx([reference_lr(e, s, 3) for e in range(1, 7) for s in range(3)],
                                rel=1e-12)
    with pytest.raises(ConfigError, match='by_epoch=True, convert_to_iter_based=True') as err:
        simulate([dict(type='FFSDWarmupLR', by_epoch=True)], 3)
    assert '\n' not in str(err.value)


# ----------------------------------------------------------------------- tools, tiny ImageNet
def write_tiny_imagenet(root, n_train=2, n_val=2):
    """ImageNet in mmpretrain's annotation-file format: {train,val}/..., meta/{train,val}.txt."""
    rng = np.random.default_rng(0)
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    for split, n in (('train', n_train), ('val', n_val)):
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            for i in range(n):
                label = int(rng.integers(0, 1000))
                rel = f'n{label:08d}/img_{i}.JPEG' if split == 'train' else f'val_{i}.JPEG'
                path = osp.join(root, split, rel)
                os.makedirs(osp.dirname(path), exist_ok=True)
                h, w = rng.integers(230, 300, size=2)
                cv2.imwrite(path, rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
                f.write(f'{rel} {label}\n')


TINY = [
    'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2', 'test_dataloader.batch_size=2',
    'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
    'test_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.persistent_workers=False', 'test_dataloader.persistent_workers=False',
    'randomness.seed=0', 'default_hooks.logger.interval=1'
]


@pytest.mark.slow
def test_train_two_iterations_and_test_the_leader_through_the_tools(tmp_path):
    root = str(tmp_path / 'imagenet')
    write_tiny_imagenet(root)
    data = [
        f'{k}.dataset.data_root={root}'
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    # one iteration per epoch: the reference's len_epoch of this set is 2 // 2 = 1
    lr_opts = [
        f'param_scheduler.{p}.0.reference_epoch_length=1'
        for p in ('student1', 'student2', 'fusion', 'leader')
    ]
    work = str(tmp_path / 'work')
    run_tool([
        'tools/train.py', 'configs/ffsd/imagenet/resnet18.py', '--work-dir', work, '--cfg-options'
    ] + TINY + data + lr_opts + ['train_cfg.max_epochs=2'])
    ckpt = safe_load(osp.join(work, 'epoch_2.pth'))
    assert list(ckpt['optimizer']) == PARTS and ckpt['meta']['iter'] == 2
    # the lr every part trained with at each iteration (vis_data/scalars.json, full precision):
    # the reference's warm-up with len_epoch 1 at epochs 1 and 2, step 0
    scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    rows = [json.loads(line) for line in open(scalars[0])]
    rows = [r for r in rows if 'student1.lr' in r]
    assert [r['step'] for r in rows] == [1, 2]
    for part in ('student1', 'student2', 'leader', 'fusion'):
        assert [r[f'{part}.lr'] for r in rows] == pytest.approx(
            [reference_lr(1, 0, 1), reference_lr(2, 0, 1)], rel=1e-12), part  # 0.04, 0.06
    assert [r['decoder_leader.lr'] for r in rows] == [1e-3, 1e-3]
    assert ckpt['param_schedulers']['decoder_leader'][0]['_last_value'] == [1e-3]
    # the leader (the product) loads strictly into its plain ImageNet config and tools/test.py
    # evaluates it; the full checkpoint's leader gives the same top-1
    student = osp.join(work, 'student_last.pth')
    plain = build('configs/ffsd/eval/imagenet_resnet18_leader.py')
    plain.load_state_dict(safe_load(student)['state_dict'], strict=True)
    test_data = [o for o in data if o.startswith('test_')]
    out_plain = run_tool([
        'tools/test.py', 'configs/ffsd/eval/imagenet_resnet18_leader.py', student, '--work-dir',
        str(tmp_path / 't1'), '--cfg-options'
    ] + TINY + test_data).stdout
    top1 = re.search(r'^accuracy/top1: (\d+\.\d\d)$', out_plain, re.M).group(1)
    out_full = run_tool([
        'tools/test.py', 'configs/ffsd/imagenet/resnet18.py',
        osp.join(work, 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 't2'), '--cfg-options'
    ] + TINY + test_data + lr_opts).stdout
    assert re.search(rf'^accuracy/top1: {top1}$', out_full, re.M)
    assert re.search(r'^fusion/top1: ', out_full, re.M)


# ----------------------------------------------------------------------- released leaders
class ReferenceTransFusion(torch.nn.Module):
    """SJLeo/FFSD models/fusion_module.py ``TransFusionModule`` written out again."""

    def __init__(self, c=512, m=2):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(c)
        self.conv1_1 = torch.nn.Conv2d(c, c * m, 1, bias=False)
        self.bn1_1 = torch.nn.BatchNorm2d(c * m)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn1_1(self.conv1_1(x)))


def reference_leader_checkpoint(path, arch='resnet18', seed=0):
    """What the reference's save_models writes for an ImageNet leader: its ResNet is
    torchvision's (same module names), plus ``trans_fusion_module.*``; BN statistics made
    non-trivial so that eval mode is checked too."""
    torch.manual_seed(seed)
    net = getattr(torchvision.models, arch)(num_classes=1000)
    head = ReferenceTransFusion()
    for m in list(net.modules()) + list(head.modules()):
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    weight = dict(net.state_dict())
    weight.update({f'trans_fusion_module.{k}': v for k, v in head.state_dict().items()})
    torch.save(dict(weight=weight, epoch=88, cfg=arch, index='leader'), path)
    return net.eval(), head.eval()


def test_converted_reference_leader_gives_the_reference_outputs(tmp_path):
    from mmkd.models.utils.reference_converter import convert_checkpoint
    src, dst = str(tmp_path / 'modelleader_best.pth'), str(tmp_path / 'leader.pth')
    net, head = reference_leader_checkpoint(src)
    config = 'configs/_base_/models/ffsd/imagenet_resnet18_leader.py'
    meta = convert_checkpoint(src, dst, 'ffsd', config)
    assert meta['source_meta'] == dict(epoch=88, cfg='resnet18', index='leader')
    leader = build(config)
    leader.load_state_dict(safe_load(dst)['state_dict'], strict=True)
    leader.eval()
    taps = {}
    hooks = [
        getattr(net, f'layer{i}').register_forward_hook(lambda m, i, o, k=i: taps.__setitem__(k, o))
        for i in range(1, 5)
    ]
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = net(x)
        got = leader.forward_taps(x)
        trans = head(taps[4])
    for h in hooks:
        h.remove()
    assert torch.equal(got['logits'], want)
    for i in range(4):
        assert torch.equal(got['taps'][i], taps[i + 1]), i
    assert torch.equal(got['trans'], trans)
    # a common-student config drops the trans-fusion head
    convert_checkpoint(src, str(tmp_path / 's.pth'), 'ffsd',
                       'configs/_base_/models/ffsd/imagenet_resnet18.py')
    assert not any(
        k.startswith('trans_fusion_module.')
        for k in safe_load(str(tmp_path / 's.pth'))['state_dict'])


@pytest.mark.slow
def test_convert_reference_tool_then_tools_test_on_the_leader(tmp_path):
    root = str(tmp_path / 'imagenet')
    write_tiny_imagenet(root, n_train=1, n_val=2)
    src, dst = str(tmp_path / 'modelleader_best.pth'), str(tmp_path / 'leader.pth')
    reference_leader_checkpoint(src, 'resnet34')
    run_tool([
        'tools/model_converters/convert_reference.py', src, dst, '--layout', 'ffsd', '--config',
        'configs/_base_/models/ffsd/imagenet_resnet34_leader.py'
    ])
    out = run_tool([
        'tools/test.py', 'configs/ffsd/eval/imagenet_resnet34_leader.py', dst, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', f'test_dataloader.dataset.data_root={root}'
    ] + TINY).stdout
    assert re.search(r'^accuracy/top1: \d+\.\d\d$', out, re.M)
    assert re.search(r'^accuracy/top5: \d+\.\d\d$', out, re.M)
