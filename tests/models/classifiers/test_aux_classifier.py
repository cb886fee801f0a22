"""Every HSAKD auxiliary-branch classifier against the reference (HSAKD models/*.py).

Parameter counts are the reference implementation's (winycg/HSAKD ``models/*.py``; 100 classes
for CIFAR, 1000 for ImageNet; "backbone / aux" millions, counted on those networks). Shapes are
those of its ``*_aux`` networks: the feature map each branch taps, the map each branch hands to
its global pool, and its ``[B, 4C]`` output. These run on the ``meta`` device (no memory, no
compute).
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmkd.registry import MODELS
from tests.utils import ROOT

AUX_CONFIGS = osp.join(ROOT, 'configs', '_base_', 'models', 'hsakd')

# arch: (plain config, backbone params, aux params, spec M (backbone, aux), input size,
#        taps C×H×W, map before the pool of every branch)
# yapf: disable  (a table, one architecture per entry)
SPEC = {
    'wrn40_2': ('wrn40_2', 2255156, 5769328, (2.26, 5.77), 32,
                [(32, 32, 32), (64, 16, 16), (128, 8, 8)], (128, 8, 8)),
    'wrn16_2': ('wrn16_2', 703284, 1928304, (0.70, 1.93), 32,
                [(32, 32, 32), (64, 16, 16), (128, 8, 8)], (128, 8, 8)),
    'wrn40_1': ('wrn40_1', 569780, 1484432, (0.57, 1.48), 32,
                [(16, 32, 32), (32, 16, 16), (64, 8, 8)], (64, 8, 8)),
    'resnet56': ('resnet56', 861620, 2206064, (0.86, 2.21), 32,
                 [(16, 32, 32), (32, 16, 16), (64, 8, 8)], (64, 8, 8)),
    'resnet20': ('resnet20', 278324, 762992, (0.28, 0.76), 32,
                 [(16, 32, 32), (32, 16, 16), (64, 8, 8)], (64, 8, 8)),
    'resnet32x4': ('resnet32x4', 7433860, 18907056, (7.43, 18.91), 32,
                   [(64, 32, 32), (128, 16, 16), (256, 8, 8)], (256, 8, 8)),
    'resnet8x4': ('resnet8x4', 1233540, 3557296, (1.23, 3.56), 32,
                  [(64, 32, 32), (128, 16, 16), (256, 8, 8)], (256, 8, 8)),
    'vgg13': ('vgg13', 9462180, 37049664, (9.46, 37.05), 32,
              [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4)], (512, 1, 1)),
    'vgg8': ('vgg8', 3965028, 16833984, (3.97, 16.83), 32,
             [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4)], (512, 1, 1)),
    'mobilenetv2': ('hsakd/mobilenetv2', 812836, 4671496, (0.81, 4.67), 32,
                    [(12, 32, 32), (16, 16, 16), (48, 8, 8), (160, 4, 4)], (1280, 4, 4)),
    'shufflev1': ('shufflev1', 949258, 3118740, (0.95, 3.12), 32,
                  [(240, 16, 16), (480, 8, 8), (960, 4, 4)], (960, 4, 4)),
    'shufflev2': ('shufflev2', 1355528, 4519988, (1.36, 4.52), 32,
                  [(116, 16, 16), (232, 8, 8), (464, 4, 4)], (1024, 4, 4)),
    'resnet50': ('resnet50', 23705252, 76976704, (23.71, 76.98), 32,
                 [(256, 32, 32), (512, 16, 16), (1024, 8, 8), (2048, 4, 4)], (2048, 4, 4)),
    'resnet34_imagenet': ('resnet34_imagenet', 21797672, 76474240, (21.80, 76.47), 224,
                          [(64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)], (512, 7, 7)),
    'resnet18_imagenet': ('resnet18_imagenet', 11689512, 47555456, (11.69, 47.56), 224,
                          [(64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)], (512, 7, 7)),
}
# yapf: enable


def build(path, device='meta'):
    cfg = Config.fromfile(path)
    with torch.device(device):
        return MODELS.build(cfg.model)


def count(params):
    return sum(p.numel() for p in params)


@pytest.mark.parametrize('arch', list(SPEC))
def test_params_taps_and_branch_shapes(arch):
    plain_cfg, n_backbone, n_aux, (m_backbone, m_aux), size, taps, pooled = SPEC[arch]
    model = build(osp.join(AUX_CONFIGS, f'{arch}_aux.py'))
    classes = model.num_classes
    assert classes == (1000 if 'imagenet' in arch else 100)
    assert count(model.aux_branches.parameters()) == n_aux
    assert count(p for k, p in model.named_parameters() if not k.startswith('aux_branches.')) \
        == n_backbone
    assert round(n_backbone / 1e6, 2) == m_backbone and round(n_aux / 1e6, 2) == m_aux
    assert len(model.aux_branches) == len(taps)

    # same keys as the plain config: the export loads strictly into it
    plain = build(osp.join(ROOT, 'configs', '_base_', 'models', f'{plain_cfg}.py'))
    assert list(model.plain_state_dict()) == list(plain.state_dict())
    for key, value in plain.state_dict().items():
        assert model.state_dict()[key].shape == value.shape

    seen = []
    for branch in model.aux_branches:
        last = branch.conv2 if branch.conv2 is not None else branch.extractor
        last.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[1:])))
        assert branch.fc.in_features == pooled[0] and branch.fc.out_features == 4 * classes
    out = model.forward_aux(torch.empty(2, 3, size, size, device='meta'))
    assert [tuple(t.shape[1:]) for t in model.aux_branches.taps(out.feats)] == taps
    assert seen == [pooled] * len(taps)
    assert tuple(out.logits.shape) == (2, classes)
    assert [tuple(s.shape) for s in out.ss_logits] == [(2, 4 * classes)] * len(taps)


def test_plain_modes_export_and_strict_load_into_plain_config():
    torch.manual_seed(0)
    aux = build(osp.join(AUX_CONFIGS, 'resnet8x4_aux.py'), 'cpu').eval()
    plain = build(osp.join(ROOT, 'configs', '_base_', 'models', 'resnet8x4.py'), 'cpu').eval()
    plain.load_state_dict(aux.plain_state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = plain(x, mode='tensor')
        assert torch.equal(aux(x, mode='tensor'), expected)
        assert torch.equal(aux.forward_aux(x).logits, expected)
        preds = aux(x, mode='predict')
    assert torch.allclose(
        torch.stack([p.pred_score for p in preds]), expected.softmax(1), atol=1e-6)
    assert not any(k.startswith('aux_branches') for k in aux.plain_state_dict())


# the branches on their own (init styles, backbone checks): tests/models/heads/
