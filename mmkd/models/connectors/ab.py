"""AB's per-layer connector (RepDistiller distiller_zoo/AB.py, models/util.py
``Connector``)."""
from typing import List, Tuple

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .conv_reg import ConvRegConnector, _chw


class _IdentityPair(nn.Module):

    def forward(self, s, t):
        return s, t


@MODELS.register_module()
class ABConnector(nn.Module):
    """Per (student, teacher) pre-activation stage pair: identity when the channel count and the
    height match, else :class:`ConvRegConnector` with ``use_relu=False`` (conv + BN, no ReLU:
    the AB loss needs the sign of the pre-activation).

    Student and teacher must have the same number of stage maps (the reference asserts it).
    When a :class:`ConvRegConnector` falls back to pooling the teacher (``s_H < t_H`` and not
    ``2·s_H``, which RepDistiller cannot build at all), the pooled teacher map is returned.

    ``forward(s_feats, t_feats)`` returns ``(list of connected student maps, list of teacher
    maps)``.

    Args:
        s_shape: list of student map shapes ``(C, H, W)``.
        t_shape: list of teacher map shapes ``(C, H, W)``.
    """

    def __init__(self, s_shape, t_shape):
        super().__init__()
        s_shapes = [_chw(s) for s in s_shape]
        t_shapes = [_chw(t) for t in t_shape]
        if len(s_shapes) != len(t_shapes):
            raise ValueError(
                f'ABConnector needs as many student as teacher stage maps, got {len(s_shapes)} '
                f'and {len(t_shapes)}; choose a `source` that gives equal counts')
        self.connectors = nn.ModuleList()
        for s, t in zip(s_shapes, t_shapes):
            if s[0] == t[0] and s[1] == t[1]:
                self.connectors.append(_IdentityPair())
            else:
                self.connectors.append(ConvRegConnector(s, t, use_relu=False))

    def forward(self, s_feats, t_feats) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        out_s, out_t = [], []
        for conn, s, t in zip(self.connectors, s_feats, t_feats):
            s, t = conn(s, t)
            out_s.append(s)
            out_t.append(t)
        return out_s, out_t
