"""The batch-transform seam of SingleTeacherDistiller (issue 11 §1): a registered transform
rewrites the batch before teacher and student see it and adds log values that are not summed."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

STUDENT = 'configs/_base_/models/resnet8.py'
TEACHER = 'configs/_base_/models/resnet14.py'


@MODELS.register_module(force=True)
class _KeepFirstRowsTransform(nn.Module):
    """Test transform: keeps the first ``k`` rows (batch, samples and fields), negates the kept
    images, and logs the kept fraction and the student's mode when it was called."""

    def __init__(self, k: int = 2, log_name: str = 'kept_fraction'):
        super().__init__()
        self.k = k
        self.log_name = log_name
        self.calls = 0

    def forward(self, inputs, data_samples, fields, student):
        self.calls += 1
        self.student_was_training = student.training
        k = self.k
        fields = {name: value[:k] for name, value in fields.items()}
        log_vars = {self.log_name: torch.tensor(k / inputs.shape[0])}
        return -inputs[:k], data_samples[:k], fields, log_vars


def build(**kwargs):
    cfg = dict(
        type='SingleTeacherDistiller',
        student=STUDENT,
        teacher=TEACHER,
        teacher_ckpt_required=False,
        student_loss_weight=0.5,
        distill_losses=dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)),
        batch_transform=dict(type='_KeepFirstRowsTransform', k=2))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=5, classes=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, classes, (n, ), generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return x, samples


def _record_batch_sizes(net, sizes):
    first_conv = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
    return first_conv.register_forward_pre_hook(lambda m, args: sizes.append(args[0].shape[0]))


def test_transform_rewrites_what_teacher_and_student_see():
    torch.manual_seed(0)
    model = build()
    model.train()
    x, samples = batch()
    s_sizes, t_sizes = [], []
    _record_batch_sizes(model.student, s_sizes)
    _record_batch_sizes(model.teacher, t_sizes)
    losses = model.loss(x, samples)
    assert model.batch_transform.calls == 1 and model.batch_transform.student_was_training
    assert s_sizes == [2] and t_sizes == [2]  # the transform ran before any forward
    assert set(losses) == {'loss_cls', 'loss_kd', 'kept_fraction'}
    assert float(losses['kept_fraction']) == pytest.approx(2 / 5)

    # independent recomputation on the rewritten batch (first 2 rows, negated)
    with torch.no_grad():
        logits_s = model.student(-x[:2], mode='tensor')
        logits_t = model.teacher(-x[:2], mode='tensor')
    labels = torch.tensor([int(s.gt_label) for s in samples[:2]])
    ce = F.cross_entropy(logits_s, labels)
    p_t = torch.softmax(logits_t / 4, 1)
    kl = (p_t * (p_t.log() - torch.log_softmax(logits_s / 4, 1))).sum(1).mean() * 16
    assert torch.allclose(losses['loss_cls'], 0.5 * ce, rtol=1e-5)
    assert torch.allclose(losses['loss_kd'], 0.9 * kl, rtol=1e-5)


def test_rewritten_fields_reach_the_losses():
    model = build(distill_losses=dict(kd=dict(type='TfKDLoss', alpha=0.5, tau=4.0, with_ce=True)))
    model.train()
    x, samples = batch()
    losses = model.loss(x, samples)  # TfKDLoss(with_ce) reads `labels`: must be 2 rows, not 5
    assert torch.isfinite(losses['loss_kd'])


def test_log_values_are_logged_not_summed():
    torch.manual_seed(0)
    model = build()
    model.train()
    x, samples = batch()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    data = dict(inputs=list(x), data_samples=samples)
    log_vars = model.train_step(data, optim)
    log_vars = {
        k: float(v.detach()) if hasattr(v, "detach") else float(v)
        for k, v in log_vars.items()
    }
    assert log_vars['kept_fraction'] == pytest.approx(2 / 5)
    assert log_vars['loss'] == pytest.approx(log_vars['loss_cls'] + log_vars['loss_kd'], rel=1e-6)


def test_no_transform_outside_train_mode():
    model = build()
    model.eval()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert model.batch_transform.calls == 0 and 'kept_fraction' not in losses
    with torch.no_grad():
        model(x, samples, mode='predict')
    assert model.batch_transform.calls == 0


def test_log_name_with_loss_is_rejected():
    model = build(batch_transform=dict(type='_KeepFirstRowsTransform', log_name='loss_extra'))
    model.train()
    with pytest.raises(ConfigError, match="must not contain 'loss'"):
        model.loss(*batch())
