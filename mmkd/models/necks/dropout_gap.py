"""Global average pooling followed by dropout (Tf-KD's CIFAR GoogLeNet classifier path).

The reference (Tf-KD ``model/googlenet.py``, Tf-KD model/*.py) runs
``AdaptiveAvgPool2d(1) → Dropout2d(0.4) → flatten → Linear``. ``Dropout2d`` is applied to the
pooled ``N×C×1×1`` map, i.e. it drops whole (1×1) channels, which is element-wise dropout of the
pooled vector with the ``1/(1-p)`` rescaling. This neck keeps that exact order and applies
``Dropout2d`` to the 4-D pooled map (so the random mask has the reference's shape).
"""
import torch
import torch.nn as nn

from mmkd.registry import MODELS


@MODELS.register_module()
class GlobalAveragePoolingDropout(nn.Module):
    """``AdaptiveAvgPool2d(1)`` → dropout → flatten.

    Args:
        p: drop probability (0.4 in the reference GoogLeNet).
        dropout_type: ``'dropout2d'`` (``nn.Dropout2d`` on the N×C×1×1 pooled map, as the
            reference) or ``'dropout'`` (``nn.Dropout`` on the flattened vector).

    Accepts a tensor or a tuple of tensors (like mmpretrain's ``GlobalAveragePooling``); every
    tensor is pooled and dropped out with the same module.
    """

    dropout_types = ('dropout2d', 'dropout')

    def __init__(self, p: float = 0.4, dropout_type: str = 'dropout2d'):
        super().__init__()
        if dropout_type not in self.dropout_types:
            raise ValueError(f'dropout_type must be one of {self.dropout_types}, '
                             f'got {dropout_type!r}')
        if not 0.0 <= p <= 1.0:
            raise ValueError(f'dropout probability must be in [0, 1], got {p}')
        self.p = p
        self.dropout_type = dropout_type
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout2d(p) if dropout_type == 'dropout2d' else nn.Dropout(p)

    def init_weights(self):
        pass

    def _single(self, x: torch.Tensor) -> torch.Tensor:
        out = self.gap(x)
        if self.dropout_type == 'dropout2d':
            return self.dropout(out).view(x.size(0), -1)
        return self.dropout(out.view(x.size(0), -1))

    def forward(self, inputs):
        if isinstance(inputs, tuple):
            return tuple(self._single(x) for x in inputs)
        if isinstance(inputs, torch.Tensor):
            return self._single(inputs)
        raise TypeError('neck inputs should be tuple or torch.tensor')
