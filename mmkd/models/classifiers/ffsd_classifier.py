"""An FFSD network: an mmpretrain ``ImageClassifier`` with named feature taps and, for the
student leader, the trans-fusion head.

Paper: Li et al., TNNLS 2022 (arXiv 2103.14473), §III; reference SJLeo/FFSD ``models/*_cifar.py``
(``register_hook``'s ``extract_layers`` and the ``leader=True`` branch of each model's
``forward``). Inference (``mode='predict'|'tensor'``) is the plain classifier: the trans-fusion
output is not used, as in the reference's ``test.py``. ``mode='taps'`` runs the training forward
once and returns a dict::

    {'logits': [B, K], 'taps': [F^1 .. F^L] (shallow -> deep), 'trans': P [B, M·C, h, w] or None}

(a dict of tensors, so that a distributed wrapper around the network passes it through).

Tap names are the fields of the backbone's :class:`~mmkd.models.backbones.base.BackboneFeatures`:
``stem``, ``stage1`` .. ``stageL`` (post-activation stage outputs) and ``final`` (the map the
classifier pools, e.g. WRN's output after its last BN-ReLU).
"""
from typing import Dict, Optional, Sequence

import torch
from mmpretrain.models.classifiers import ImageClassifier

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError


def tap_names_of(backbone) -> list:
    """The tap names a backbone offers."""
    n = int(getattr(backbone, 'num_stages', 0))
    return ['stem'] + [f'stage{i + 1}' for i in range(n)] + ['final']


@MODELS.register_module()
class FFSDClassifier(ImageClassifier):
    """Classifier with FFSD feature taps (and the leader's trans-fusion head).

    Args:
        backbone, neck, head: as ``ImageClassifier``; the backbone must be an mmkd backbone
            (``forward_features``).
        taps: tap names, shallow → deep (see the module docstring). The deepest tap is what the
            fusion module, the diversity loss and the trans-fusion head read.
        trans_fusion: config of :class:`~mmkd.models.heads.ffsd_modules.FFSDTransFusion` for the
            student leader (attribute ``trans_fusion_module``, the reference's name); ``None``
            for a common student.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 taps: Sequence[str] = ('stage1', 'stage2', 'stage3'),
                 trans_fusion: Optional[dict] = None,
                 **kwargs):
        super().__init__(backbone=backbone, neck=neck, head=head, **kwargs)
        if not hasattr(self.backbone, 'forward_features'):
            raise ConfigError(f'FFSDClassifier needs an mmkd backbone (forward_features); got '
                              f'{type(self.backbone).__name__}.')
        valid = tap_names_of(self.backbone)
        taps = [taps] if isinstance(taps, str) else list(taps)
        unknown = [t for t in taps if t not in valid]
        if unknown or len(taps) < 2:
            what = (f'unknown tap {", ".join(map(repr, unknown))}' if unknown else
                    f'{len(taps)} tap (FFSD needs at least two: shallow ones and the deepest)')
            raise ConfigError(f'FFSDClassifier ({type(self.backbone).__name__}): {what}; the '
                              f'taps of this backbone are {", ".join(valid)}.')
        self.taps = tuple(taps)
        self.trans_fusion_module = MODELS.build(trans_fusion) if trans_fusion else None

    @property
    def num_classes(self) -> int:
        return int(self.head.num_classes)

    def forward_taps(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        feats = self.backbone.forward_features(inputs)
        named = {'stem': feats.stem, 'final': feats.final}
        named.update({f'stage{i + 1}': s for i, s in enumerate(feats.stages)})
        taps = [named[t] for t in self.taps]
        pooled = (feats.final, )
        if self.with_neck:
            pooled = self.neck(pooled)
        out = dict(logits=self.head(pooled), taps=taps)
        out['trans'] = (
            self.trans_fusion_module(taps[-1]) if self.trans_fusion_module is not None else None)
        return out

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'taps':
            return self.forward_taps(inputs)
        return super().forward(inputs, data_samples, mode)
