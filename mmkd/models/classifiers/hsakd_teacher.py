"""Training an HSAKD teacher, both ways of HSAKD train_teacher_*.py.

* **Frozen backbone** ("Teacher", ``freeze_backbone=True``): the backbone and its head come from a
  trained plain classifier (``backbone_ckpt``: an mmkd baseline checkpoint such as
  ``work_dirs/baselines/wrn40_2_cifar100/epoch_240.pth``, or a reference checkpoint converted with
  ``tools/model_converters/convert_reference.py``), get ``requires_grad=False``, stay in eval mode
  for the whole run (BatchNorm statistics frozen, as the reference's ``backbone.eval()``) and run
  under ``no_grad`` with detached features (``grad=False``). Only the branches learn. The final-head
  CE term is still computed and logged, as in the reference, but it is a constant.
* **Joint** ("Teacher*", ``freeze_backbone=False``): backbone and branches from scratch, every
  term has gradients (``grad=True``).

Both use the same loss: ``CE(final[0::4], y) + Σ_l CE(aux_l(4N rows), 4y + r)``.

``backbone_ckpt`` is read in :meth:`init_weights` (the Runner calls it before training and before
``--resume`` overwrites the weights; ``tools/test.py`` does not, since the trained checkpoint holds
everything). A checkpoint with ``aux_branches.*`` (e.g. a converted HSAKD teacher) is accepted: its
branch weights are ignored, the plain part must fit exactly.
"""
import os.path as osp
import warnings
from typing import Dict, Optional

import torch

from mmkd.models.distillers.builder_utils import extract_state_dict
from mmkd.registry import MODELS
from mmkd.utils.checkpoint import is_remote, safe_load
from mmkd.utils.errors import CheckpointError
from .aux_classifier import AUX_PREFIX, AuxBranchClassifier


@MODELS.register_module()
class HSAKDTeacher(AuxBranchClassifier):
    """An :class:`AuxBranchClassifier` trained as an HSAKD teacher.

    Args:
        freeze_backbone: frozen-backbone mode (only the branches train).
        backbone_ckpt: checkpoint of the trained plain classifier (backbone + head) loaded by
            :meth:`init_weights`; required in frozen mode.
        backbone_ckpt_required: with ``freeze_backbone`` and no ``backbone_ckpt``, ``True`` warns
            loudly that the frozen backbone is untrained (tests and dry runs only).
        backbone, aux_branches, neck, head, ...: as :class:`AuxBranchClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 aux_branches: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 freeze_backbone: bool = False,
                 backbone_ckpt: Optional[str] = None,
                 backbone_ckpt_required: bool = True,
                 **kwargs):
        super().__init__(backbone=backbone, aux_branches=aux_branches, neck=neck, head=head,
                         **kwargs)
        self.freeze_backbone = bool(freeze_backbone)
        self.backbone_ckpt = backbone_ckpt
        if self.freeze_backbone:
            for module in self.plain_modules():
                module.requires_grad_(False)
            if backbone_ckpt is None and backbone_ckpt_required:
                warnings.warn(
                    'HSAKDTeacher: freeze_backbone=True but backbone_ckpt is None, the FROZEN '
                    'BACKBONE IS UNTRAINED. Only meant for tests and dry runs; set '
                    'model.backbone_ckpt to a trained classifier checkpoint.', stacklevel=2)

    # ------------------------------------------------------------------ training
    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone:
            for module in self.plain_modules():
                module.eval()  # BN statistics of the frozen backbone never change
        return self

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        frozen = self.freeze_backbone
        return self.hsakd_loss(inputs, data_samples, detach_features=frozen,
                               backbone_grad=not frozen)

    # ------------------------------------------------------------------ weights
    def init_weights(self) -> None:
        super().init_weights()
        if self.backbone_ckpt is not None:
            self.load_plain_checkpoint(self.backbone_ckpt)

    def load_plain_checkpoint(self, path: str) -> None:
        """Load backbone + neck + head strictly from ``path`` (``aux_branches.*`` ignored)."""
        if not is_remote(path) and not osp.isfile(path):
            raise CheckpointError(
                f'Backbone checkpoint {path} does not exist. The frozen-backbone HSAKD teacher '
                'starts from a trained plain classifier: train it first (python tools/train.py '
                'configs/baselines/<arch>_cifar100.py writes work_dirs/baselines/<arch>_cifar100/'
                'epoch_240.pth), convert a public one (tools/model_converters/'
                'convert_reference.py ... --config configs/_base_/models/<arch>.py), or point '
                'model.backbone_ckpt at one with --cfg-options model.backbone_ckpt=PATH.')
        state = extract_state_dict(safe_load(path), path)
        state = {k: v for k, v in state.items() if not k.startswith(AUX_PREFIX)}
        own = self.plain_state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        mismatched = [f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in own
                      if k in state and hasattr(state[k], 'shape')
                      and tuple(state[k].shape) != tuple(own[k].shape)]
        if missing or unexpected or mismatched:
            def show(items):
                return ', '.join(items[:6]) + (f' (+{len(items) - 6} more)'
                                               if len(items) > 6 else '')
            parts = [f'The backbone checkpoint {path} does not fit the plain part of this '
                     f'teacher ({type(self.backbone).__name__}, {self.num_classes} classes).']
            if missing:
                parts.append(f'Missing keys ({len(missing)}): {show(missing)}.')
            if unexpected:
                parts.append(f'Unexpected keys ({len(unexpected)}): {show(unexpected)}.')
            if mismatched:
                parts.append(f'Shape mismatch ({len(mismatched)}): {show(mismatched)}.')
            parts.append('It must be a checkpoint of the same architecture trained with its '
                         'plain config (configs/baselines/<arch>_cifar100.py) or converted for '
                         'it.')
            raise CheckpointError(' '.join(parts))
        result = self.load_state_dict(state, strict=False)
        assert not result.unexpected_keys and all(
            k.startswith(AUX_PREFIX) for k in result.missing_keys), result
        for module in self.plain_modules():
            module.is_init = True  # a later init_weights() must not re-initialise them
