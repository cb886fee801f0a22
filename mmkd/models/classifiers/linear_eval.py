"""Linear evaluation of a distilled student's features (HSAKD's transfer protocol).

Reference: HSAKD ``eval_rep.py``. The plain student architecture is built
with the target class count, every weight but the classifier is copied from the distilled student
checkpoint and frozen, and the whole network stays in eval mode (BatchNorm statistics frozen);
only a new linear classifier on the globally pooled features is trained.
"""
from typing import Mapping, Optional, Union

import torch
import torch.nn as nn
from mmpretrain.models import ImageClassifier

from mmkd.models.utils.frozen import FrozenNetworkOwner, freeze, load_strict
from mmkd.models.utils.model_config import model_cfg_from
from mmkd.models.utils.state_dict import CONVERTER
from mmkd.registry import MODELS
from mmkd.utils.errors import CheckpointError, ConfigError

#: top-level prefixes that hold the student of a full training checkpoint
STUDENT_PREFIXES = ('student.', )


def student_backbone_state(state: Mapping, path: str) -> dict:
    """The ``backbone.*`` (and ``neck.*``) weights of the student among the weights ``state`` of
    checkpoint ``path``.

    Accepts a student-only checkpoint (``student_best.pth``/``student_last.pth``: plain classifier
    keys), a plain classifier checkpoint, or a full distillation checkpoint (``student.*`` keys;
    auxiliary branches, heads, teachers and connectors are ignored).
    """
    if any(k.startswith(STUDENT_PREFIXES) for k in state):
        state = {k.split('.', 1)[1]: v for k, v in state.items() if k.startswith(STUDENT_PREFIXES)}
    kept = {k: v for k, v in state.items() if k.startswith(('backbone.', 'neck.'))}
    if not kept:
        raise CheckpointError(
            f'{path} holds no student backbone weights (no backbone.* or student.backbone.* keys; '
            f'found e.g. {sorted(state)[:4]}). Use the student-only checkpoint written next to the '
            'training checkpoints (student_last.pth / student_best.pth), or convert a reference '
            f'checkpoint with python {CONVERTER} CKPT OUT.pth --layout hsakd '
            '--config MODEL_CONFIG.')
    return kept


@MODELS.register_module()
class LinearEvalClassifier(FrozenNetworkOwner, ImageClassifier):
    """A frozen distilled backbone + a new trainable linear classifier.

    The model is an ordinary ``ImageClassifier`` (``backbone``, ``neck``, ``head``), so its
    checkpoints load into the plain student config with ``head.num_classes`` set to the target
    count. ``backbone`` and ``neck`` are loaded from ``student_ckpt``, get ``requires_grad=False``,
    run under ``no_grad`` and stay in eval mode even in ``model.train()``; ``init_weights`` leaves
    them alone; the head is initialised at construction (HSAKD: Linear ~ N(0, 0.01), bias 0).

    Args:
        student: the plain student classifier (config path, ``dict(cfg_path=..., ...)`` or inline
            dict), e.g. ``'configs/_base_/models/hsakd/mobilenetv2.py'``. Its head is replaced by a
            ``LinearClsHead`` with ``num_classes`` outputs on the same ``in_channels``.
        num_classes: classes of the target dataset (STL-10: 10, Tiny-ImageNet: 200).
        student_ckpt: the distilled student: a student-only checkpoint, a plain classifier
            checkpoint or a full distillation checkpoint (see :func:`student_backbone_state`).
        student_ckpt_required: with ``student_ckpt=None``, ``True`` raises; ``False`` keeps the
            random backbone (tests, dry runs, ``tools/test.py`` with a trained linear-eval
            checkpoint, which carries the backbone).
        head_init_std: std of the new linear layer's normal init (HSAKD: 0.01).
    """

    def __init__(self,
                 student: Union[str, dict],
                 num_classes: int,
                 student_ckpt: Optional[str] = None,
                 student_ckpt_required: bool = True,
                 head_init_std: float = 0.01,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        cfg = model_cfg_from(student)
        if cfg.get('type') not in ('ImageClassifier', 'mmpretrain.ImageClassifier'):
            raise ConfigError(f'LinearEvalClassifier: the student must be a plain ImageClassifier '
                              f'config (backbone + neck + head), got type {cfg.get("type")!r}. '
                              'Use the plain student model config, e.g. '
                              'configs/_base_/models/hsakd/mobilenetv2.py.')
        old_head = dict(cfg['head'])
        if 'in_channels' not in old_head:
            raise ConfigError('LinearEvalClassifier: the student head config has no in_channels.')
        head = dict(
            type='LinearClsHead',
            num_classes=int(num_classes),
            in_channels=old_head['in_channels'],
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            init_cfg=None)
        super().__init__(
            backbone=cfg['backbone'],
            neck=cfg.get('neck'),
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.student_ckpt = student_ckpt
        if student_ckpt is not None:
            self.load_student(student_ckpt)
        elif student_ckpt_required:
            raise CheckpointError(
                'LinearEvalClassifier: set model.student_ckpt to the distilled student '
                '(e.g. --cfg-options model.student_ckpt=work_dirs/hsakd/vgg13_mobilenetv2/'
                'student_last.pth); linear evaluation of a random backbone is meaningless.')
        for module in (self.backbone, self.neck):
            if module is not None:
                freeze(module)  # the Runner's init_weights() must not re-initialise it
        # the new linear layer is initialised here (HSAKD: N(0, std), bias 0), once
        nn.init.normal_(self.head.fc.weight, 0, head_init_std)
        nn.init.zeros_(self.head.fc.bias)
        self.head.is_init = True

    def load_student(self, path: str) -> None:
        load_strict(
            self,
            path,
            'student',
            select=lambda state: student_backbone_state(state, path),
            target={
                k: v
                for k, v in self.state_dict().items() if k.startswith(('backbone.', 'neck.'))
            },
            missing_hint=(
                'Distil the student first (e.g. python tools/train.py '
                'configs/hsakd/vgg13_mobilenetv2.py writes work_dirs/hsakd/vgg13_mobilenetv2/'
                'student_last.pth) or point model.student_ckpt at it with --cfg-options '
                'model.student_ckpt=PATH.'),
            fit_hint='Check that model.student is the architecture of the checkpoint.')

    # ------------------------------------------------------------------ modes
    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        with torch.no_grad():
            feats = super().extract_feat(inputs, stage=stage)
        if isinstance(feats, (tuple, list)):
            return type(feats)(f.detach() for f in feats)
        return feats.detach()
