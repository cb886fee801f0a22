"""A classifier with HSAKD's self-supervised auxiliary branches (HSAKD models/*.py,
the ``*_aux`` networks).

:class:`AuxBranchClassifier` is the plain mmpretrain ``ImageClassifier`` (backbone + neck + head,
with exactly the plain config's state-dict keys) plus ``aux_branches``: one joint-label classifier
per backbone stage (:mod:`mmkd.models.heads.hsakd_branches`), each ending in
``Linear(d, 4·C)``. The plain part is what inference and export use:

* ``forward(mode='tensor' | 'predict')`` is the plain classifier on the (unrotated) input; the
  branches are not run;
* :meth:`plain_state_dict` is the plain classifier's weights (``aux_branches.*`` dropped), which
  load with ``strict=True`` into the plain config of the same architecture;
* :meth:`forward_aux` runs everything once and returns the final logits ``[B, C]`` and the L
  branch logits ``[B, 4C]`` (what HSAKD's losses read; the reference's ``net(x, grad=...)``);
  ``forward(mode='aux')`` is the same with gradients into the backbone, as a dict;
* ``mode='loss'`` is the HSAKD teacher loss of a backbone trained jointly with its branches (HSAKD
  train_teacher_*.py, "Teacher*"): on the 4-rotation batch, ``CE(final[0::4], y) + Σ_l CE(aux_l, 4y
  + r)``, weights 1. The frozen-backbone teacher is :class:`~mmkd.models.classifiers.HSAKDTeacher`.
* with ``eval_rotations=True`` (the teacher configs), ``predict`` evaluates like the reference's
  ``test()``: the 4-rotation batch goes through everything, the prediction is the final head on
  the unrotated rows ``0::4``, and every data sample also gets ``ss_correct`` /
  ``ss_class_correct`` (per branch, how many of its 4 rotated rows are right), which
  :class:`~mmkd.evaluation.ss_accuracy.RotationSSAccuracy` turns into the ss accuracy the
  reference selects its teacher checkpoint by.
"""
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmpretrain.models.classifiers import ImageClassifier

from mmkd.evaluation import ss_accuracy  # noqa: F401  (registers RotationSSAccuracy)
from mmkd.models.backbones.base import BackboneFeatures
from mmkd.models.utils.rotation import (NUM_ROTATIONS, rotate_batch, rotation_summed_class_logits,
                                        unrotated_rows)
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

#: prefix of the branch weights in a state dict
AUX_PREFIX = 'aux_branches.'


@dataclass
class AuxOutputs:
    """One forward of a classifier with auxiliary branches."""

    logits: torch.Tensor  # [B, C], the backbone's own head
    ss_logits: List[torch.Tensor]  # L x [B, 4C], one per branch
    feats: Optional[BackboneFeatures] = None
    emb: Optional[torch.Tensor] = None  # the pooled vector the head reads


@MODELS.register_module()
class AuxBranchClassifier(ImageClassifier):
    """Plain classifier + HSAKD auxiliary branches.

    Args:
        backbone, neck, head: as ``ImageClassifier`` (the plain config's model). The backbone must
            be an mmkd backbone (``forward_features``); ``head.num_classes`` is ``C``.
        aux_branches: config of a registered branch builder (``WRNAuxBranches``,
            ``ResNetCifarAuxBranches``, ``ResNetV2CifarAuxBranches``, ``VGGAuxBranches``,
            ``MobileNetV2AuxBranches``, ``ShuffleV1AuxBranches``, ``ShuffleV2AuxBranches``,
            ``ResNetImageNetAuxBranches``); it is built with the backbone and ``num_classes=4C``.
        eval_rotations: ``predict`` on the 4-rotation batch, with per-branch ss correctness in
            the data samples (see the module doc); the plain prediction is unchanged.
    """

    def __init__(self,
                 backbone: dict,
                 aux_branches: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 eval_rotations: bool = False):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not hasattr(self.backbone, 'forward_features'):
            raise ConfigError(f'AuxBranchClassifier needs an mmkd backbone (with '
                              f'forward_features), got {type(self.backbone).__name__}.')
        num_classes = getattr(self.head, 'num_classes', None)
        if num_classes is None:
            raise ConfigError('AuxBranchClassifier needs a head with num_classes.')
        self.num_classes = int(num_classes)
        if isinstance(aux_branches, dict):
            aux_branches = MODELS.build(
                dict(aux_branches),
                default_args=dict(
                    backbone=self.backbone, num_classes=NUM_ROTATIONS * self.num_classes))
        self.aux_branches = aux_branches
        self.eval_rotations = bool(eval_rotations)

    @property
    def num_branches(self) -> int:
        return len(self.aux_branches)

    # ------------------------------------------------------------------ forward
    def forward_aux(self,
                    inputs: torch.Tensor,
                    detach_features: bool = False,
                    backbone_grad: bool = True,
                    preact: bool = False) -> AuxOutputs:
        """Backbone, head and every branch on ``inputs`` (already rotated, if wanted).

        Args:
            detach_features: cut the gradient between the branches and the backbone (the
                reference's ``grad=False``: a frozen-backbone teacher, and any eval call).
            backbone_grad: ``False`` runs backbone and head under ``no_grad`` (frozen backbone).
            preact: also keep the pre-activation stage outputs (``feats.preact_stages``).
        """
        with torch.set_grad_enabled(torch.is_grad_enabled() and backbone_grad):
            feats = self.backbone.forward_features(inputs, preact=preact)
            pooled = (feats.final, )
            if self.with_neck:
                pooled = self.neck(pooled)
            logits = self.head(pooled)
        taps = self.aux_branches.taps(feats)
        if detach_features or not backbone_grad:
            taps = [t.detach() for t in taps]
        return AuxOutputs(
            logits=logits, ss_logits=self.aux_branches(taps), feats=feats, emb=pooled[-1])

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        """``mode='aux'``: :meth:`forward_aux` (branches with gradient into the backbone) as a
        dict ``logits`` / ``ss_logits``, so that an online distiller runs it through the
        network's ``__call__`` (a distributed wrapper sees the forward); other modes as
        ``ImageClassifier``."""
        if mode == 'aux':
            out = self.forward_aux(inputs)
            return dict(logits=out.logits, ss_logits=list(out.ss_logits))
        return super().forward(inputs, data_samples, mode)

    def hsakd_loss(self,
                   inputs: torch.Tensor,
                   data_samples,
                   detach_features: bool = False,
                   backbone_grad: bool = True) -> Dict[str, torch.Tensor]:
        """HSAKD train_teacher_*.py: ``CE(final[0::4], y) + Σ_l CE(aux_l(4N rows), 4y + r)``.

        ``loss_cls`` uses the head's own loss module (CE, mean over the N unrotated rows);
        ``loss_aux<l>`` is the mean CE of branch ``l`` over all 4N rows.
        """
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        x4, joint = rotate_batch(inputs, labels, self.num_classes)
        out = self.forward_aux(x4, detach_features=detach_features, backbone_grad=backbone_grad)
        losses = OrderedDict()
        # mmpretrain has no public loss-from-logits call: ClsHead.loss(feats) re-runs the fc layer
        losses['loss_cls'] = self.head._get_loss(unrotated_rows(out.logits), data_samples)['loss']
        for i, ss in enumerate(out.ss_logits):
            losses[f'loss_aux{i + 1}'] = F.cross_entropy(ss, joint)
        return losses

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        """The jointly trained HSAKD teacher's loss (backbone and branches, ``grad=True``)."""
        return self.hsakd_loss(inputs, data_samples)

    def predict(self, inputs: torch.Tensor, data_samples=None):
        if not self.eval_rotations:
            return super().predict(inputs, data_samples)
        x4, _ = rotate_batch(inputs)
        out = self.forward_aux(x4, detach_features=True)
        # mmpretrain has no public predict-from-logits call: ClsHead.predict(feats) re-runs the fc
        preds = self.head._get_predictions(unrotated_rows(out.logits), data_samples)
        if not preds or 'gt_label' not in preds[0]:
            return preds
        labels = torch.cat([p.gt_label for p in preds]).to(inputs.device)
        joint = labels[:, None] * NUM_ROTATIONS + torch.arange(NUM_ROTATIONS, device=labels.device)
        ss_hits, class_hits = [], []
        for ss in out.ss_logits:  # [4N, 4C] -> per image, rotated rows right
            ss_hits.append((ss.argmax(1).view(-1, NUM_ROTATIONS) == joint).sum(1))
            cls = rotation_summed_class_logits(ss).argmax(1).view(-1, NUM_ROTATIONS)
            class_hits.append((cls == labels[:, None]).sum(1))
        ss_hits, class_hits = torch.stack(ss_hits, 1), torch.stack(class_hits, 1)
        for i, pred in enumerate(preds):
            pred.set_field(ss_hits[i], 'ss_correct')
            pred.set_field(class_hits[i], 'ss_class_correct')
        return preds

    # ------------------------------------------------------------------ export
    def plain_state_dict(self) -> 'OrderedDict[str, torch.Tensor]':
        """The plain classifier's weights: every key but ``aux_branches.*``."""
        return OrderedDict(
            (k, v) for k, v in self.state_dict().items() if not k.startswith(AUX_PREFIX))

    def plain_modules(self):
        """backbone, neck (if any) and head: the part that is the plain classifier."""
        return [m for m in (self.backbone, self.neck, self.head) if m is not None]
