"""RandomRotation: torchvision's RandomRotation(15) as an mmcv transform (Tf-KD data_loader.py)."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmkd.datasets.random_rotation import RandomRotation, rotate_like_torchvision
from mmkd.registry import TRANSFORMS
from tests.utils import ROOT


def image(seed=0, shape=(32, 32, 3)):
    return np.random.default_rng(seed).integers(1, 256, size=shape, dtype=np.uint8)


def test_angles_uniform_in_range_and_recorded():
    t = RandomRotation(degrees=15)
    np.random.seed(0)
    angles = [t(dict(img=image()))['rotation_angle'] for _ in range(400)]
    assert min(angles) >= -15 and max(angles) <= 15
    assert min(angles) < -13 and max(angles) > 13  # covers the range
    assert abs(np.mean(angles)) < 1.5 and np.std(angles) == pytest.approx(30 / 12**0.5, rel=0.1)
    t = RandomRotation(degrees=(5, 10))
    assert all(5 <= t(dict(img=image()))['rotation_angle'] <= 10 for _ in range(50))


def test_deterministic_with_seed():
    t = RandomRotation(degrees=15)
    runs = []
    for _ in range(2):
        np.random.seed(230)
        runs.append([t(dict(img=image(i))) for i in range(5)])
    for a, b in zip(*runs):
        assert a['rotation_angle'] == b['rotation_angle']
        assert np.array_equal(a['img'], b['img'])
    np.random.seed(231)
    assert t(dict(img=image(0)))['rotation_angle'] != runs[0][0]['rotation_angle']


def test_zero_fill_nearest_and_shape():
    img = np.full((32, 32, 3), 200, np.uint8)
    out = rotate_like_torchvision(img, 15.0)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert (out[0, 0] == 0).all() and (out[-1, -1] == 0).all()  # corners come from outside
    assert (out[16, 16] == 200).all()
    assert set(np.unique(out)) <= {0, 200}  # nearest: no interpolated values
    assert np.array_equal(rotate_like_torchvision(img, 0.0), img)
    filled = rotate_like_torchvision(img, 15.0, fill=(1, 2, 3))
    assert filled[0, 0].tolist() == [1, 2, 3]
    gray = rotate_like_torchvision(img[..., 0], 90.0)
    assert gray.shape == (32, 32) and (gray == 200).all()  # a square rotated by 90 degrees


def test_equals_torchvision():
    torchvision = pytest.importorskip('torchvision')
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF
    for seed, angle in [(0, 15.0), (1, -15.0), (2, 7.3), (3, -0.4), (4, 12.9)]:
        img = image(seed)
        expected = np.asarray(
            TF.rotate(Image.fromarray(img), angle, interpolation=InterpolationMode.NEAREST, fill=0))
        assert np.array_equal(rotate_like_torchvision(img, angle), expected), angle
    # torchvision's RandomRotation(15) uses the same transformation for a drawn angle
    torch.manual_seed(0)
    angle = torchvision.transforms.RandomRotation.get_params([-15.0, 15.0])
    tv = np.asarray(TF.rotate(Image.fromarray(image(9)), angle))
    assert np.array_equal(rotate_like_torchvision(image(9), angle), tv)


def test_registered_and_in_the_tfkd_pipeline():
    t = TRANSFORMS.build(dict(type='RandomRotation', degrees=15))
    assert isinstance(t, RandomRotation) and t.degrees == (-15.0, 15.0)
    pipeline = Config.fromfile(f'{ROOT}/configs/_base_/datasets/cifar100_tfkd.py').train_pipeline
    types = [p['type'] for p in pipeline]
    assert types.index('RandomCrop') < types.index('RandomFlip') < types.index('RandomRotation')
    assert pipeline[types.index('RandomRotation')] == dict(
        type='RandomRotation', degrees=15, interpolation='nearest', fill=0)
    with pytest.raises(ValueError):
        RandomRotation(degrees=-1)
    with pytest.raises(ValueError):
        RandomRotation(interpolation='lanczos')


def test_prob_zero_leaves_image():
    img = image()
    out = RandomRotation(degrees=15, prob=0.0)(dict(img=img.copy()))
    assert np.array_equal(out['img'], img) and out['rotation_angle'] == 0.0
    assert torch.is_tensor(torch.as_tensor(out['img']))
