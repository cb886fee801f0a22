"""Loss values of every distiller and classic loss on fixed weights and inputs.

Recorded from the code *before* the distiller-core refactor (issue 11, commit d19d793) into
``data/refactor_golden.json``; ``test_refactor_golden.py`` asserts that the refactored code gives
the same values. Weights do not depend on construction order: every state-dict entry is drawn from
a generator seeded by its name (fan-in scaled), so a refactor that builds the same modules in
another order or through another service still sees the same network.

Regenerate (only when a change of values is intended and understood)::

    python -m tests.models.distillers.refactor_golden
"""
import copy
import json
import math
import os.path as osp
import re
import zlib

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
GOLDEN = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'refactor_golden.json')

STUDENT = 'configs/_base_/models/resnet8.py'
TEACHER = 'configs/_base_/models/resnet14.py'
METHODS = ('ab', 'at', 'cc', 'crd', 'crd_kd', 'dkd', 'fitnet', 'fsp', 'ft', 'hkd', 'irg', 'kd',
           'kdsvd', 'nst', 'pkt', 'rkd', 'semckd', 'sp', 'tfkd_kd', 'vid')
AUX = 'configs/_base_/models/hsakd/resnet20_aux.py'
BATCH = 4


@torch.no_grad()
def name_init(model: torch.nn.Module, seed_name=None) -> None:
    """Overwrite every float state-dict entry from a generator seeded by the entry's name
    (``seed_name(name)`` when given: the name the entry had when the values were recorded)."""
    for name, t in model.state_dict().items():
        if not t.is_floating_point():
            continue
        seed = seed_name(name) if seed_name else name
        g = torch.Generator().manual_seed(zlib.crc32(seed.encode()))
        z = torch.randn(t.shape, generator=g, dtype=torch.float64)
        if name.endswith('running_var'):
            v = 0.5 + z.abs() * 0.5
        elif name.endswith('running_mean'):
            v = 0.1 * z
        elif t.dim() >= 2:
            v = z * math.sqrt(2.0 / (t[0].numel()))
        elif name.endswith('weight'):
            v = 1.0 + 0.1 * z
        else:
            v = 0.1 * z
        t.copy_(v.to(t.dtype))


def make_batch(n=BATCH, classes=100, seed=0, n_data=None):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, classes, (n, ), generator=g)
    samples = []
    for i, y in enumerate(labels):
        s = DataSample().set_gt_label(int(y))
        if n_data is not None:
            s.set_field(i, 'sample_idx', field_type='metainfo')
            s.set_field(
                torch.randint(0, n_data, (6, ), generator=g),
                "contrast_idx",
                dtype=torch.Tensor,
                field_type='data')
        samples.append(s)
    return x, samples


def _values(losses, model=None) -> dict:
    """Loss values; with ``model``, also the gradient norm of its trainable parameters after
    backward of the summed losses (catches a changed gradient path with unchanged values)."""
    values = {k: float(v.detach()) for k, v in losses.items()}
    if model is not None:
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        grads = [p.grad.double().norm()**2 for p in model.parameters() if p.grad is not None]
        values['grad_norm'] = float(torch.stack(grads).sum().sqrt())
        model.zero_grad(set_to_none=True)
    return values


def method_model_cfg(method: str) -> dict:
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/methods', f'{method}.py')).model
    cfg = copy.deepcopy(cfg.to_dict())
    cfg.update(student=STUDENT, teacher=TEACHER, teacher_ckpt=None, teacher_ckpt_required=False)
    for loss in cfg.get('distill_losses', {}).values():
        conn = loss.get('connector')
        if conn and conn.get('type') == 'CRDConnector':
            conn.update(n_data=16, nce_k=5)
        if conn and conn.get('type') == 'SelfAttentionConnector':
            conn.update(batch_size=BATCH)
    return cfg


def method_losses(method: str) -> dict:
    """Loss terms of a method's base config with resnet14 -> resnet8, at its stages."""
    cfg = method_model_cfg(method)
    model = MODELS.build(cfg)
    name_init(model)
    model.train()
    out = {}
    epochs = [3]
    if cfg.get('init_epochs'):
        epochs = [0, cfg['init_epochs']]
    for epoch in epochs:
        model.set_epoch(epoch)
        torch.manual_seed(1)  # CRD draws from the global generator when it has no contrast_idx
        x, samples = make_batch(n_data=16)
        out[f'epoch{epoch}'] = _values(model.loss(x, samples), model)
    return out


def aux_cfg(**extra):
    cfg = Config.fromfile(osp.join(ROOT, AUX)).model.to_dict()
    cfg['head']['num_classes'] = 10
    cfg.update(extra)
    return cfg


def hsakd_losses() -> dict:
    out = {}
    model = MODELS.build(
        dict(
            type='HSAKDDistiller',
            student=aux_cfg(),
            teacher=aux_cfg(),
            teacher_ckpt_required=False,
            kd_weight=0.7,
            aux_kd_weight=1.3))
    name_init(model)
    model.train()
    out['hsakd_distiller'] = _values(model.loss(*make_batch(3, classes=10)), model)
    for mode in ('frozen', 'joint'):
        teacher = MODELS.build(
            aux_cfg(
                type='HSAKDTeacher', freeze_backbone=mode == 'frozen',
                backbone_ckpt_required=False))
        name_init(teacher)
        teacher.train()
        out[f'hsakd_teacher_{mode}'] = _values(teacher.loss(*make_batch(3, classes=10)), teacher)
    online = MODELS.build(dict(type='HSSAKDOnlineDistiller', peer=aux_cfg()))
    # recorded when the peers were one ModuleList (`peers.0.*`, `peers.1.*`); now they are the
    # parts `peer1`, `peer2` (issue 12): the same weights come from the old names
    name_init(online,
              lambda name: re.sub(r'^peer(\d+)\.', lambda m: f'peers.{int(m.group(1)) - 1}.', name))
    # the two peers must differ: perturb the second peer deterministically
    with torch.no_grad():
        for name, t in online.peer2.state_dict().items():
            if t.is_floating_point() and t.dim() >= 2:
                t.mul_(-1.0)
    online.train()
    out['hssakd_online'] = _summed_over_peers(
        _values(online.loss(*make_batch(3, classes=10)), online))
    return out


def _summed_over_peers(values: dict) -> dict:
    """``peer<p>.<term>`` summed over the peers: the one joint loss term of before issue 12
    (for two peers each term of the joint loss is the sum of the peers' own terms)."""
    out = {}
    for key, value in values.items():
        term = re.sub(r'^peer\d+\.', '', key)
        out[term] = out.get(term, 0.0) + value
    return out


def function_values() -> dict:
    from mmkd.models.losses.kd import kd_loss
    from mmkd.models.losses.tfkd import TfKDLoss
    g = torch.Generator().manual_seed(3)
    s = torch.randn(6, 7, generator=g) * 3
    t = torch.randn(6, 7, generator=g) * 3
    labels = torch.randint(0, 7, (6, ), generator=g)
    out = {'kd_loss_T4': float(kd_loss(s, t, 4.0)), 'kd_loss_T1': float(kd_loss(s, t, 1.0))}
    for red in ('elementwise_mean', 'batchmean'):
        loss = TfKDLoss(alpha=0.9, tau=6.0, multiplier=2.0, reduction=red, with_ce=True)
        out[f'tfkd_{red}'] = float(loss(s, t, labels))
    return out


def record() -> dict:
    register_all_modules()
    golden = {'functions': function_values()}
    for method in METHODS:
        golden[method] = method_losses(method)
    golden.update(hsakd_losses())
    return golden


if __name__ == '__main__':
    import os
    os.chdir(ROOT)
    values = record()
    with open(GOLDEN, 'w') as f:
        json.dump(values, f, indent=1, sort_keys=True)
    print(json.dumps(values, indent=1, sort_keys=True))
