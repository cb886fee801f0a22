"""What every mmkd distiller shares.

A distiller is an mmengine ``BaseModel`` that owns a student (the product), optionally frozen or
co-trained peers/teachers, trainable connectors and registered losses. ``predict``/``tensor`` run
the student alone, so validation, ``tools/test.py`` and the student-only checkpoint see exactly the
plain student classifier.

Subclasses implement :meth:`loss`. The services they compose live next to this module: the
frozen-network service (:mod:`mmkd.models.utils.frozen`), feature access (:mod:`.feature_access`),
the loss wiring (:mod:`.loss_wiring`) and, in :class:`~.single_teacher.SingleTeacherDistiller`,
the batch-transform seam (a transform rewrites the batch before the teacher sees it and returns
values to log next to the losses).
"""
import copy
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModel

from mmkd.models.utils.model_config import build_classifier
from .feature_access import NetworkOutputs, network_outputs  # noqa: F401  (re-exported)
from .loss_wiring import call_with_batch_fields  # noqa: F401  (re-exported)


def cls_data_preprocessor(cfg: Optional[dict]) -> dict:
    """A distiller's data preprocessor: mmpretrain's ``ClsDataPreprocessor`` unless the config
    names another type (the batch is preprocessed once for every network)."""
    if cfg is None:
        return dict(type='ClsDataPreprocessor')
    if isinstance(cfg, dict):
        cfg = dict(cfg)
        cfg.setdefault('type', 'ClsDataPreprocessor')
    return cfg


def _hook_type_name(hook) -> str:
    kind = hook.get('type') if isinstance(hook, dict) else type(hook)
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))
    return name.split('.')[-1]


def merge_required_hooks(cfg) -> List[str]:
    """Add the hooks the config's model declares (``required_hooks``) to ``cfg.custom_hooks``
    unless the config already lists a hook of that type (then its arguments are kept).

    The tools (``tools/train.py``, ``tools/test.py``) call it for every config, so a user config
    that sets its own ``custom_hooks`` (say ``[dict(type='EMAHook')]``) keeps the distillation
    hooks. Returns the names of the hooks it added.
    """
    from mmkd.registry import MODELS
    model = cfg.get('model') or {}
    kind = model.get('type') if isinstance(model, dict) else None
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    required = getattr(cls, 'required_hooks', ()) if cls is not None else ()
    if not required:
        return []
    hooks = list(cfg.get('custom_hooks') or [])
    present = {_hook_type_name(h) for h in hooks}
    added = []
    for hook in required:
        name = _hook_type_name(hook)
        if name not in present:
            hooks.append(copy.deepcopy(dict(hook)))
            present.add(name)
            added.append(name)
    cfg.custom_hooks = hooks
    return added


class BaseDistiller(BaseModel):
    """Student handling shared by all distillers.

    ``required_hooks``: the hooks every run of the distiller needs — epoch-dependent stages,
    schedules and warm-ups (``DistillationEpochHook``), the teacher's accuracy measured once
    (``TeacherEvalHook``) and the student-only checkpoints ``student_last.pth`` /
    ``student_best.pth`` (``StudentCheckpointHook``). They belong to the model: the tools merge
    them into whatever ``custom_hooks`` a config sets (:func:`merge_required_hooks`).
    """

    required_hooks: Tuple[dict, ...] = (
        dict(type='DistillationEpochHook'),
        dict(type='TeacherEvalHook'),
        dict(type='StudentCheckpointHook'),
    )

    def __init__(self,
                 student,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=cls_data_preprocessor(data_preprocessor), init_cfg=init_cfg)
        self.student = build_classifier(student)
        self.epoch = 0

    # --------------------------------------------------------------- modes
    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.student(inputs, data_samples, mode=mode)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    # ------------------------------------------------------------ helpers
    def set_epoch(self, epoch: int) -> None:
        """Called by :class:`mmkd.engine.DistillationEpochHook` before each training epoch."""
        self.epoch = epoch
        for module in self.modules():
            if module is not self and hasattr(module, 'set_epoch') and callable(module.set_epoch):
                module.set_epoch(epoch)

    def student_loss(self, logits: torch.Tensor, data_samples) -> torch.Tensor:
        """The student head's own classification loss (CE, or what its config sets)."""
        # mmpretrain has no public loss-from-logits call: ClsHead.loss(feats) re-runs the fc layer
        return self.student.head._get_loss(logits, data_samples)['loss']

    @staticmethod
    def batch_fields(data_samples) -> dict:
        """Per-batch tensors a loss or connector may ask for by parameter name."""
        fields = {}
        if not data_samples:
            return fields
        first = data_samples[0]
        if 'gt_label' in first:
            fields['labels'] = torch.cat([s.gt_label for s in data_samples])
        for key in ('sample_idx', 'contrast_idx'):
            if key in first:
                fields[key] = torch.stack([torch.as_tensor(getattr(s, key)) for s in data_samples])
        return fields

    def student_state_dict(self) -> dict:
        """Weights of the plain student classifier (for the student-only checkpoint)."""
        return self.student.state_dict()
