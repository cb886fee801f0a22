"""What every mmkd distiller shares.

A distiller is an mmengine ``BaseModel`` that owns a student (the product), optionally frozen or
co-trained peers/teachers, trainable connectors and registered losses. ``predict``/``tensor`` run
the student alone, so validation, ``tools/test.py`` and the student-only checkpoint see exactly the
plain student classifier.

Subclasses implement :meth:`loss`. Distillers that train several networks with separate optimizers
(online methods) override ``train_step`` and receive an ``OptimWrapperDict``; distillers that
rewrite the batch before the teacher sees it do so in :meth:`loss` and report the teacher compute
they saved through :meth:`extra_log_vars`.
"""
import inspect
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmkd.utils.errors import ConfigError
from .builder_utils import build_classifier


@dataclass
class NetworkOutputs:
    """One network's outputs in the reference feature-list convention.

    ``feats = [f0 (stem), f1..fL (stages), emb (pooled vector)]`` (RepDistiller/SemCKD models/*.py
    ``is_feat``) and ``logits``.
    """

    feats: List[torch.Tensor]
    logits: torch.Tensor

    def select(self, source: Union[str, int, Sequence[int]]):
        """Pick what a loss reads (see docs/losses_and_connectors.md)."""
        if source == 'logits':
            return self.logits
        if source == 'emb':
            return self.feats[-1]
        if source == 'stages':
            return self.feats[1:-1]
        if source == 'last_stage':
            return self.feats[-2]
        if source == 'stem_and_stages':
            return self.feats[:-1]
        if isinstance(source, int):
            return self.feats[source]
        if isinstance(source, (list, tuple)):
            return [self.feats[i] for i in source]
        raise ConfigError(f'Unknown loss source {source!r}; use logits, emb, stages, last_stage, '
                          'stem_and_stages, an int feature index or a list of them.')

    def check_source(self, source, who: str) -> None:
        indices = [source] if isinstance(source, int) else (
            list(source) if isinstance(source, (list, tuple)) else [])
        n = len(self.feats)
        for i in indices:
            if not -n <= i < n:
                raise ConfigError(
                    f'{who}: feature index {i} does not exist; this network gives {n} features '
                    f'[f0 (stem), f1..f{n - 2} (stages), f{n - 1} (pooled embedding)], '
                    f'valid indices 0..{n - 1}.')
        self.select(source)


def network_outputs(classifier: nn.Module, inputs: torch.Tensor,
                    preact: bool = False) -> NetworkOutputs:
    """Run an mmpretrain ``ImageClassifier`` with an mmkd backbone, keeping every feature."""
    feats = classifier.backbone.forward_features(inputs, preact=preact)
    pooled = (feats.final, )
    if getattr(classifier, 'with_neck', False):
        pooled = classifier.neck(pooled)
    emb = pooled[-1]
    logits = classifier.head(pooled)
    return NetworkOutputs(feats=[feats.stem, *feats.stages, emb], logits=logits)


def call_with_batch_fields(fn, args: tuple, batch_fields: dict):
    """Call ``fn(*args, **fields)`` passing only the batch fields ``fn`` names in its signature."""
    target = fn.forward if isinstance(fn, nn.Module) else fn
    params = inspect.signature(target).parameters
    kwargs = {k: v for k, v in batch_fields.items() if k in params}
    return fn(*args, **kwargs)


class BaseDistiller(BaseModel):
    """Student handling shared by all distillers."""

    def __init__(self, student, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        elif isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
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
                fields[key] = torch.stack(
                    [torch.as_tensor(getattr(s, key)) for s in data_samples])
        return fields

    def student_state_dict(self) -> dict:
        """Weights of the plain student classifier (for the student-only checkpoint)."""
        return self.student.state_dict()
