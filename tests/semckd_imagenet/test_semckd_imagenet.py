"""SemCKD on ImageNet (ResNet-34 -> ResNet-18, DefangChen/SemCKD README's second command): the
configs, the ImageNet dataset base in mmpretrain's folder and annotation-file formats, and one
training iteration through mmengine's Runner on a tiny generated ImageNet folder with a teacher
converted from a torchvision checkpoint."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmkd.models.distillers.builder_utils import build_classifier, load_weights_strict
from mmkd.models.utils import convert_checkpoint
from mmkd.registry import DATASETS
from tests.utils import ROOT

CONFIG = osp.join(ROOT, 'configs', 'semckd', 'imagenet', 'resnet34_resnet18.py')
KD_CONFIG = osp.join(ROOT, 'configs', 'semckd', 'imagenet', 'resnet34_resnet18_kd.py')


def write_image(path, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(osp.dirname(path), exist_ok=True)
    h, w = rng.integers(12, 40, size=2)
    cv2.imwrite(path, rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))


@pytest.fixture(scope='module')
def imagenet_root(tmp_path_factory):
    """Two tiny ImageNets: ``folder/train/<wnid>/*.JPEG`` for all 1000 classes (class-folder
    format, one tiny image each) and ``ann/`` with ``meta/{train,val}.txt`` annotation files."""
    root = str(tmp_path_factory.mktemp('imagenet'))
    wnids = [f'n{i:08d}' for i in range(1000)]
    for i, wnid in enumerate(wnids):
        write_image(osp.join(root, 'folder', 'train', wnid, f'{wnid}_0.JPEG'), i)
    ann = osp.join(root, 'ann')
    os.makedirs(osp.join(ann, 'meta'))
    with open(osp.join(ann, 'meta', 'train.txt'), 'w') as f:
        for i in (0, 3, 500, 999):
            write_image(osp.join(ann, 'train', wnids[i], f'{wnids[i]}_0.JPEG'), i)
            f.write(f'{wnids[i]}/{wnids[i]}_0.JPEG {i}\n')
    with open(osp.join(ann, 'meta', 'val.txt'), 'w') as f:
        for i in range(4):
            write_image(osp.join(ann, 'val', f'ILSVRC2012_val_{i:08d}.JPEG'), 2000 + i)
            f.write(f'ILSVRC2012_val_{i:08d}.JPEG {7 * i}\n')
    return root


def test_configs_follow_the_reference_command():
    cfg = Config.fromfile(CONFIG)
    losses = cfg.model.distill_losses
    assert cfg.model.student_loss_weight == 1.0
    assert dict(losses.kd) == dict(type='KDLoss', tau=4.0, loss_weight=1.0)
    assert losses.semckd.loss_weight == 50.0
    # SelfA sized from the per-GPU batch: 256 over 8 GPUs
    assert losses.semckd.connector.batch_size == cfg.train_dataloader.batch_size == 32
    assert cfg.train_dataloader.drop_last is True and cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.model.teacher.cfg_path.endswith('resnet34_imagenet.py')
    assert cfg.model.student.cfg_path.endswith('resnet18_imagenet.py')
    opt = cfg.optim_wrapper.optimizer
    assert (opt.lr, opt.momentum, opt.weight_decay) == (0.1, 0.9, 1e-4)
    assert cfg.train_cfg.max_epochs == 90
    assert list(cfg.param_scheduler.milestones) == [30, 60] and cfg.param_scheduler.gamma == 0.1
    crop = next(t for t in cfg.train_pipeline if t['type'] == 'RandomResizedCrop')
    assert (crop['scale'], tuple(crop['crop_ratio_range']),
            tuple(crop['aspect_ratio_range'])) == (224, (0.1, 1.0), (0.8, 1.25))
    assert [t['type'] for t in cfg.test_pipeline
            ] == ['LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs']
    kd = Config.fromfile(KD_CONFIG)
    assert list(kd.model.distill_losses) == ['kd'] and kd.model.student_loss_weight == 1.0
    assert kd.optim_wrapper.optimizer.lr == 0.1 and kd.train_cfg.max_epochs == 90


def test_folder_and_annotation_formats_load(imagenet_root):
    cfg = Config.fromfile(CONFIG)
    folder = dict(cfg.train_dataloader.dataset, data_root=osp.join(imagenet_root, 'folder'))
    dataset = DATASETS.build(folder)
    assert len(dataset) == 1000 and len(dataset.metainfo['classes']) == 1000
    sample = dataset[3]
    assert sample['inputs'].shape == (3, 224, 224)
    assert int(sample['data_samples'].gt_label) == 3
    train = DATASETS.build(dict(folder, data_root=osp.join(imagenet_root, 'ann')))
    assert [int(train[i]['data_samples'].gt_label) for i in range(4)] == [0, 3, 500, 999]
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=osp.join(imagenet_root, 'ann')))
    assert len(val) == 4 and val[0]['inputs'].shape == (3, 224, 224)
    assert [int(val[i]['data_samples'].gt_label) for i in range(4)] == [0, 7, 14, 21]


@pytest.mark.slow
def test_one_iteration_through_the_runner(imagenet_root, tmp_path):
    """Torchvision ResNet-34 -> --layout torchvision -> teacher of a SemCKD run (1 iteration)."""
    torchvision = pytest.importorskip('torchvision')
    from mmengine.runner import Runner
    torch.manual_seed(0)
    tv = torchvision.models.resnet34(weights=None).eval()
    src, teacher = str(tmp_path / 'resnet34-tv.pth'), str(tmp_path / 'resnet34.pth')
    torch.save(tv.state_dict(), src)
    convert_checkpoint(src, teacher, 'torchvision', 'configs/_base_/models/resnet34_imagenet.py')
    ours = build_classifier('configs/_base_/models/resnet34_imagenet.py').eval()
    load_weights_strict(ours, teacher)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x, mode='tensor'), tv(x), rtol=1e-4, atol=1e-4)

    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.teacher_ckpt = teacher
    cfg.model.distill_losses.semckd.connector.batch_size = 4
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(batch_size=4, num_workers=0, persistent_workers=False)
        cfg[key].dataset.data_root = osp.join(imagenet_root, 'ann')  # 4 images: 1 iteration
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    scalars = runner.message_hub.log_scalars
    for name in ('train/loss_cls', 'train/loss_kd', 'train/loss_semckd'):
        assert np.isfinite(scalars[name].current()), name
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_1.pth'))
    assert osp.isfile(osp.join(cfg.work_dir, 'student_best.pth'))
