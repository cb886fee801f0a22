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
import warnings
from typing import Dict, Optional

import torch

from mmkd.models.utils.frozen import FrozenNetworkOwner, freeze, load_strict, mark_loaded
from mmkd.registry import MODELS
from .aux_classifier import AUX_PREFIX, AuxBranchClassifier


@MODELS.register_module()
class HSAKDTeacher(FrozenNetworkOwner, AuxBranchClassifier):
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
        super().__init__(
            backbone=backbone, aux_branches=aux_branches, neck=neck, head=head, **kwargs)
        self.freeze_backbone = bool(freeze_backbone)
        self.backbone_ckpt = backbone_ckpt
        if self.freeze_backbone:
            for module in self.plain_modules():
                freeze(module, loaded=False)  # loaded by init_weights()
            if backbone_ckpt is None and backbone_ckpt_required:
                warnings.warn(
                    'HSAKDTeacher: freeze_backbone=True but backbone_ckpt is None, the FROZEN '
                    'BACKBONE IS UNTRAINED. Only meant for tests and dry runs; set '
                    'model.backbone_ckpt to a trained classifier checkpoint.',
                    stacklevel=2)

    # ------------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        frozen = self.freeze_backbone
        return self.hsakd_loss(
            inputs, data_samples, detach_features=frozen, backbone_grad=not frozen)

    # ------------------------------------------------------------------ weights
    def init_weights(self) -> None:
        super().init_weights()
        if self.backbone_ckpt is not None:
            self.load_plain_checkpoint(self.backbone_ckpt)

    def load_plain_checkpoint(self, path: str) -> None:
        """Load backbone + neck + head strictly from ``path`` (``aux_branches.*`` ignored)."""
        load_strict(
            self,
            path,
            'backbone',
            what=(f'the plain part of this teacher ({type(self.backbone).__name__}, '
                  f'{self.num_classes} classes)'),
            select=lambda state: {
                k: v
                for k, v in state.items() if not k.startswith(AUX_PREFIX)
            },
            target=self.plain_state_dict(),
            missing_hint=(
                'The frozen-backbone HSAKD teacher starts from a trained plain classifier: train '
                'it first (python tools/train.py configs/baselines/<arch>_cifar100.py writes '
                'work_dirs/baselines/<arch>_cifar100/epoch_240.pth), convert a public one '
                '(tools/model_converters/convert_reference.py ... --config '
                'configs/_base_/models/<arch>.py), or point model.backbone_ckpt at one with '
                '--cfg-options model.backbone_ckpt=PATH.'),
            fit_hint=('It must be a checkpoint of the same architecture trained with its plain '
                      'config (configs/baselines/<arch>_cifar100.py) or converted for it.'))
        for module in self.plain_modules():
            mark_loaded(module)  # a later init_weights() must not re-initialise them
