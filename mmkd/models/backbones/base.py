"""The contract every mmkd backbone follows.

Distillation methods read a network at fixed points (the ``is_feat`` lists of RepDistiller/SemCKD
models/*.py): ``[f0 (stem), f1..fL (stage outputs), emb (pooled vector)]``, optionally with the
pre-activation variant of the stage outputs (RepDistiller's ``preact``). An mmkd backbone therefore
has two entry points:

* :meth:`BaseBackbone.forward_features` returns :class:`BackboneFeatures`: the stem output, the
  ``L`` stage outputs (post-activation), with ``preact=True`` also their pre-activation variant
  (``preact_stages``, from the same forward), and ``final``, the map that global pooling turns
  into the embedding. ``final`` is the last stage output unless the architecture has a post-stage
  block (ShuffleNetV2's 1×1 conv to 1024, MobileNetV2's 1×1 conv to 1280, WRN's last BN-ReLU).
* :meth:`BaseBackbone.forward` follows mmpretrain: it returns the tuple of outputs selected by
  ``out_indices``. Indices ``0..L-1`` are the stages; architectures with a post-stage block add one
  more index ``L`` for it (as mmpretrain's MobileNetV2/ShuffleNetV2 do). The default ``(-1,)`` is
  the map the classifier pools.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule


@dataclass
class BackboneFeatures:
    """Everything a distillation method may read from one backbone forward.

    ``stages`` are always the post-activation stage outputs. ``preact_stages`` is filled by
    ``forward_features(x, preact=True)`` with the pre-activation outputs of the same forward
    (RepDistiller's ``preact``); ``None`` when not asked for, or when the architecture has no
    distinct pre-activation (then :meth:`stage_outputs` gives ``stages`` for both).
    """

    stem: torch.Tensor
    stages: List[torch.Tensor]
    final: torch.Tensor
    extras: dict = field(default_factory=dict)
    preact_stages: Optional[List[torch.Tensor]] = None

    def stage_outputs(self, preact: bool = False) -> List[torch.Tensor]:
        """The stage outputs, pre-activation ones if ``preact`` (and the backbone has them)."""
        if preact and self.preact_stages is not None:
            return self.preact_stages
        return self.stages


class BaseBackbone(BaseModule):
    """Base class of the mmkd model zoo.

    Subclasses set ``has_post_block`` when ``final`` is not the last stage output, implement
    :meth:`forward_features` and :meth:`reference_init` (the reference implementation's weight
    init, applied at construction and again by ``init_weights`` unless an ``init_cfg`` such as
    ``Pretrained`` is given).
    """

    #: number of stage outputs (L); set by subclasses
    num_stages: int = 0
    #: whether ``final`` comes from a block after the last stage
    has_post_block: bool = False

    def __init__(self, out_indices: Sequence[int] = (-1, ), init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        self._raw_out_indices = tuple(out_indices)

    # ------------------------------------------------------------------ outputs
    @property
    def num_outputs(self) -> int:
        """Size of the ``out_indices`` index space."""
        return self.num_stages + int(self.has_post_block)

    @property
    def out_indices(self) -> tuple:
        return tuple(self._normalise_index(i) for i in self._raw_out_indices)

    def _normalise_index(self, index: int) -> int:
        n = self.num_outputs
        if not -n <= index < n:
            raise ValueError(
                f'{type(self).__name__}: out_indices contains {index}, but this backbone produces '
                f'{n} outputs (valid indices: 0..{n - 1}, or -{n}..-1); ' + self.describe_outputs())
        return index % n

    def describe_outputs(self) -> str:
        """Human-readable list of what each output index is."""
        names = [f'{i}: stage {i + 1}' for i in range(self.num_stages)]
        if self.has_post_block:
            names.append(f'{self.num_stages}: post-stage block (pooled by the classifier)')
        return 'outputs are ' + ', '.join(names)

    def forward(self, x: torch.Tensor) -> tuple:
        feats = self.forward_features(x)
        outs = list(feats.stages)
        if self.has_post_block:
            outs.append(feats.final)
        return tuple(outs[i] for i in self.out_indices)

    def forward_features(self, x: torch.Tensor, preact: bool = False) -> BackboneFeatures:
        raise NotImplementedError

    # --------------------------------------------------------------------- init
    def reference_init(self) -> None:
        """Re-apply the reference implementation's initialisation."""
        raise NotImplementedError

    def init_weights(self) -> None:
        if self.init_cfg:
            super().init_weights()
        else:
            self.reference_init()
            self._is_init = True
