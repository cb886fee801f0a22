"""LinearEvalClassifier: frozen distilled backbone, new linear head, checkpoints, tools/train.py."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from mmkd.registry import MODELS
from mmkd.utils.atomic import atomic_torch_save
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import CheckpointError
from tests.utils import generated_dataset_root, run_tool

STUDENT = 'configs/_base_/models/hsakd/mobilenetv2.py'


@pytest.fixture(scope='module')
def student_files(tmp_path_factory):
    """A 'distilled' MobileNetV2 with non-trivial BN statistics, saved three ways."""
    torch.manual_seed(3)
    student = MODELS.build(Config.fromfile(STUDENT).model)
    student.train()
    with torch.no_grad():  # move the BN running statistics away from their initial values
        student(torch.randn(8, 3, 32, 32) * 2 + 1, mode='tensor')
    state = student.state_dict()
    folder = tmp_path_factory.mktemp('student')
    only = str(folder / 'student_last.pth')
    atomic_torch_save({'meta': {}, 'state_dict': state}, only)
    full = str(folder / 'epoch_240.pth')  # a distillation checkpoint: student + aux + teacher
    full_state = {f'student.{k}': v for k, v in state.items()}
    full_state['student.aux_heads.0.fc.weight'] = torch.zeros(400, 1280)
    full_state.update({f'teacher.{k}': torch.zeros_like(v) for k, v in state.items()})
    atomic_torch_save({'meta': {}, 'state_dict': full_state}, full)
    wrong = str(folder / 'resnet8.pth')
    atomic_torch_save(
        {
            'meta': {},
            'state_dict':
            MODELS.build(Config.fromfile('configs/_base_/models/resnet8.py').model).state_dict()
        }, wrong)
    return dict(state=state, only=only, full=full, wrong=wrong, folder=str(folder))


def build(path, num_classes=10):
    return MODELS.build(
        dict(
            type='LinearEvalClassifier',
            student=STUDENT,
            num_classes=num_classes,
            student_ckpt=path))


def frozen_state(model):
    return {k: v.clone() for k, v in model.state_dict().items() if not k.startswith('head.')}


@pytest.mark.parametrize('which', ['only', 'full'])
def test_loads_backbone_from_either_checkpoint(student_files, which):
    model = build(student_files[which])
    for k, v in frozen_state(model).items():
        assert torch.equal(v, student_files['state'][k]), k
    assert model.head.fc.weight.shape == (10, 1280)
    assert abs(model.head.fc.weight.std().item() - 0.01) < 0.002
    assert torch.count_nonzero(model.head.fc.bias) == 0
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ['head.fc.weight', 'head.fc.bias']


def test_a_step_leaves_the_backbone_bit_identical(student_files):
    model = build(student_files['only'])
    model.init_weights()  # what the Runner does: must not touch the loaded backbone
    before = frozen_state(model)
    for k, v in before.items():
        assert torch.equal(v, student_files['state'][k]), f'init_weights changed {k}'
    head_before = model.head.fc.weight.clone()
    model.train()
    assert model.training and not model.backbone.training
    assert all(not m.training for m in model.backbone.modules())
    cfg = Config.fromfile('configs/_base_/schedules/linear_eval_sgd_100e.py')
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    opt = optim.optimizer
    assert (opt.defaults['lr'], opt.defaults['momentum'], opt.defaults['nesterov'],
            opt.defaults['weight_decay']) == (0.1, 0.9, True, 0.)
    g = torch.Generator().manual_seed(0)
    for _ in range(2):
        data = dict(
            inputs=torch.randint(0, 255, (6, 3, 32, 32), generator=g).float(),
            data_samples=[DataSample().set_gt_label(i % 10) for i in range(6)])
        losses = model.train_step(data, optim)
        assert torch.isfinite(losses['loss'])
    for k, v in frozen_state(model).items():
        assert torch.equal(v, before[k]), f'{k} changed during training'
    assert all(p.grad is None for p in model.backbone.parameters())
    assert not torch.equal(model.head.fc.weight, head_before)
    preds = model.predict(torch.zeros(2, 3, 32, 32))
    assert preds[0].pred_score.shape == (10, )


def test_checkpoint_errors(student_files, tmp_path):
    with pytest.raises(CheckpointError, match='does not exist'):
        build(str(tmp_path / 'nope.pth'))
    with pytest.raises(CheckpointError, match='does not fit the student config'):
        build(student_files['wrong'])
    with pytest.raises(CheckpointError, match='student_ckpt'):
        build(None)
    reference = str(tmp_path / 'ref.pth')
    atomic_torch_save({'net': {'backbone.conv1.weight': torch.zeros(1)}}, reference)
    with pytest.raises(CheckpointError, match='--layout hsakd'):
        build(reference)


TINY = ['train_cfg.max_epochs=1', 'randomness.seed=0', 'default_hooks.logger.interval=1']


def loader_opts(batch):
    opts = []
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{key}.num_workers=0', f'{key}.persistent_workers=False', f'{key}.batch_size={batch}'
        ]
    return opts


@pytest.mark.parametrize('config, dataset', [
    ('configs/hsakd/linear_eval/mobilenetv2_stl10.py', 'STL10'),
    ('configs/hsakd/linear_eval/mobilenetv2_tinyimagenet.py', 'TinyImageNet'),
])
def test_tools_train_on_generated_data(student_files, tmp_path, config, dataset):
    root = generated_dataset_root(student_files['folder'], dataset)
    work = str(tmp_path)
    opts = TINY + loader_opts(100) + [f'model.student_ckpt={student_files["only"]}'] + [
        f'{k}.dataset.data_root={root}'
        for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    out = run_tool(['tools/train.py', config, '--work-dir', work, '--cfg-options'] + opts).stdout
    assert 'accuracy/top1' in out
    trained = safe_load(osp.join(work, 'epoch_1.pth'))['state_dict']
    for k, v in student_files['state'].items():
        if not k.startswith('head.'):
            assert torch.equal(trained[k], v), f'{k} changed in training'
    classes = 10 if dataset == 'STL10' else 200
    assert trained['head.fc.weight'].shape == (classes, 1280)
