"""FFSD's fusion module, trans-fusion head and decoder (mmkd/models/heads/ffsd_modules.py).

Li et al., "Distilling a Powerful Student Model via Online Knowledge Distillation", TNNLS 2022,
§III; SJLeo/FFSD ``models/fusion_module.py`` and ``models/self_distillation.py``. Each forward is
re-stated with torch.nn.functional in float64 (BN in eval mode with non-trivial statistics).
"""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.models.heads import FFSDDecoder, FFSDFusionModule, FFSDTransFusion
from mmkd.registry import MODELS


def count(module):
    return sum(p.numel() for p in module.parameters())


def randomise_bn(module):
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)


def bn(x, m):
    return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)


def test_fusion_module_formula_and_size():
    torch.manual_seed(0)
    c, classes, m_num = 4, 5, 2
    fusion = MODELS.build(
        dict(type='FFSDFusionModule', channels=c, num_classes=classes, spatial=2, model_num=m_num))
    assert isinstance(fusion, FFSDFusionModule)
    mc = c * m_num
    # depthwise 3x3 + BN, 1x1 + BN, FC (no conv bias)
    assert count(fusion) == mc * 9 + 2 * mc + mc * c + 2 * c + c * classes + classes
    fusion = fusion.double().eval()
    with torch.no_grad():
        randomise_bn(fusion)
        u = torch.randn(3, mc, 2, 2, dtype=torch.float64)
        fused, logits = fusion(u)
        x = F.relu(bn(F.conv2d(u, fusion.conv1.weight, padding=1, groups=mc), fusion.bn1))
        g = F.relu(bn(F.conv2d(x, fusion.conv1_1.weight), fusion.bn1_1))
        z = F.linear(g.mean((2, 3)), fusion.fc2.weight, fusion.fc2.bias)
    assert fused.shape == (3, c, 2, 2) and logits.shape == (3, classes)
    assert torch.allclose(fused, g, rtol=1e-12, atol=1e-12)
    assert torch.allclose(logits, z, rtol=1e-12, atol=1e-12)


def test_trans_fusion_widens_the_leaders_map():
    torch.manual_seed(1)
    c, m_num = 4, 3
    head = MODELS.build(dict(type='FFSDTransFusion', channels=c, model_num=m_num))
    assert isinstance(head, FFSDTransFusion)
    assert count(head) == c * 9 + 2 * c + c * c * m_num + 2 * c * m_num
    head = head.double().eval()
    with torch.no_grad():
        randomise_bn(head)
        f = torch.randn(2, c, 3, 3, dtype=torch.float64)
        out = head(f)
        x = F.relu(bn(F.conv2d(f, head.conv1.weight, padding=1, groups=c), head.bn1))
        expected = F.relu(bn(F.conv2d(x, head.conv1_1.weight), head.bn1_1))
    assert out.shape == (2, c * m_num, 3, 3)
    assert torch.allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_reference_init_of_convs_and_bns():
    torch.manual_seed(2)
    fusion = FFSDFusionModule(channels=64, num_classes=10, model_num=2)
    # N(0, sqrt(2 / (k*k*C_out))): 1x1 conv 128 -> 64 has 8192 weights, std sqrt(2/64)
    std = fusion.conv1_1.weight.std().item()
    assert abs(std / math.sqrt(2 / 64) - 1) < 0.05
    depthwise = fusion.conv1.weight.std().item()  # 3x3, C_out 128: sqrt(2/(9*128))
    assert abs(depthwise / math.sqrt(2 / (9 * 128)) - 1) < 0.1
    for norm in (fusion.bn1, fusion.bn1_1):
        assert torch.equal(norm.weight, torch.ones_like(norm.weight)) and not norm.bias.any()


def test_decoder_reconstructs_shallow_first_with_reference_names():
    torch.manual_seed(3)
    decoder = MODELS.build(dict(type='FFSDDecoder', channels=[8, 4, 2]))
    assert isinstance(decoder, FFSDDecoder) and decoder.layer_num == 2
    assert sorted(decoder.state_dict())[:3] == [
        'layer0.convtranpose.weight', 'layer0.norm.bias', 'layer0.norm.num_batches_tracked'
    ]
    # ConvTranspose 3x3 (no bias) + BN per stage
    assert count(decoder) == (8 * 4 * 9 + 2 * 4) + (4 * 2 * 9 + 2 * 2)
    decoder = decoder.double().eval()
    with torch.no_grad():
        randomise_bn(decoder)
        deep = torch.randn(2, 8, 2, 2, dtype=torch.float64)
        shallow, middle = decoder(deep)
        s0 = decoder.layer0
        x = F.relu(
            bn(
                F.conv_transpose2d(
                    deep, s0.convtranpose.weight, stride=2, padding=1, output_padding=1), s0.norm))
        s1 = decoder.layer1
        y = F.relu(
            bn(
                F.conv_transpose2d(
                    x, s1.convtranpose.weight, stride=2, padding=1, output_padding=1), s1.norm))
    assert middle.shape == (2, 4, 4, 4) and shallow.shape == (2, 2, 8, 8)
    assert torch.allclose(middle, x, rtol=1e-12, atol=1e-12)
    assert torch.allclose(shallow, y, rtol=1e-12, atol=1e-12)


def test_decoder_needs_two_channel_counts():
    with pytest.raises(ValueError, match=r'at least two channel counts .*got \[64\]'):
        FFSDDecoder([64])
