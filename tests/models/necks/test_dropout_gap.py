"""GlobalAveragePoolingDropout: Tf-KD's GoogLeNet pooling + Dropout2d neck."""
import pytest
import torch

from mmkd.registry import MODELS


def test_dropout_gap_neck():
    neck = MODELS.build(dict(type='GlobalAveragePoolingDropout', p=0.4))
    x = torch.rand(4, 64, 3, 3) + 0.1
    gap = x.mean(dim=(2, 3))
    neck.eval()
    assert torch.allclose(neck(x), gap)
    outs = neck((x, x))
    assert isinstance(outs, tuple) and len(outs) == 2
    neck.train()
    torch.manual_seed(0)
    y = neck(x)
    assert y.shape == (4, 64)
    kept = y != 0
    assert 0 < kept.float().mean() < 1
    assert torch.allclose(y[kept], gap[kept] / 0.6)
    with pytest.raises(ValueError):
        MODELS.build(dict(type='GlobalAveragePoolingDropout', dropout_type='alpha'))


def test_element_dropout_and_bad_probability():
    neck = MODELS.build(dict(type='GlobalAveragePoolingDropout', p=0.5, dropout_type='dropout'))
    x = torch.rand(2, 8, 2, 2) + 0.1
    neck.train()
    torch.manual_seed(1)
    y = neck(x)
    kept = y != 0
    assert torch.allclose(y[kept], x.mean(dim=(2, 3))[kept] / 0.5)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        MODELS.build(dict(type='GlobalAveragePoolingDropout', p=1.5))
    with pytest.raises(TypeError, match='tuple or torch.tensor'):
        neck([x])
