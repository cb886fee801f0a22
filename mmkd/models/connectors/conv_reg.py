"""FitNet's convolutional regressor (``ConvReg``), RepDistiller/SemCKD models/util.py (and
RepDistiller's AB ``Connector`` for AB's ``use_relu=False`` variant)."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def _chw(shape: Sequence[int]) -> Tuple[int, int, int]:
    """``(C, H, W)`` of a feature-map shape given as ``(C, H, W)`` or ``(N, C, H, W)``."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 4:
        shape = shape[1:]
    if len(shape) != 3:
        raise ValueError(f'expected a feature-map shape (C, H, W) or (N, C, H, W), got {shape}; '
                         'ConvRegConnector only connects 2-D feature maps (pick a stage map as '
                         '`source`, not the pooled embedding)')
    return shape


@MODELS.register_module()
class ConvRegConnector(nn.Module):
    """Regress a student feature map onto the teacher's channels and spatial size.

    One convolution (with bias) chosen from the spatial sizes, then ``BN(C_t)`` and, when
    ``use_relu`` (FitNet), a ReLU:

    ==========================  ================================================================
    ``s_H == 2·t_H``            3×3 conv, stride 2, padding 1
    ``2·s_H == t_H``            4×4 transposed conv, stride 2, padding 1
    ``s_H >= t_H``              "valid" conv with kernel ``(1+s_H−t_H, 1+s_W−t_W)`` (1×1 if equal)
    otherwise (``s_H < t_H``)   3×3 conv, padding 1, at the student's size, and the **teacher**
                                map is adaptive-average-pooled down to ``(s_H, s_H)``
    ==========================  ================================================================

    The last row is SemCKD's fallback (SemCKD models/util.py ``ConvReg``); RepDistiller has no
    working branch there (its ``raise NotImplemented(...)`` is itself a TypeError). As in the
    reference, square maps are assumed for the pooled size.

    ``forward(s, t)`` returns ``(regressed student, teacher or pooled teacher)``.

    Args:
        s_shape: student map shape ``(C, H, W)`` (a leading batch dim is ignored).
        t_shape: teacher map shape ``(C, H, W)``.
        use_relu: apply ReLU after BN (FitNet: True; AB's connector: False).
    """

    def __init__(self, s_shape: Sequence[int], t_shape: Sequence[int], use_relu: bool = True):
        super().__init__()
        s_C, s_H, s_W = _chw(s_shape)
        t_C, t_H, t_W = _chw(t_shape)
        self.s_H, self.t_H = s_H, t_H
        self.use_relu = use_relu
        self.pool_teacher = False
        if s_H == 2 * t_H:
            self.conv = nn.Conv2d(s_C, t_C, kernel_size=3, stride=2, padding=1)
        elif 2 * s_H == t_H:
            self.conv = nn.ConvTranspose2d(s_C, t_C, kernel_size=4, stride=2, padding=1)
        elif s_H >= t_H:
            self.conv = nn.Conv2d(s_C, t_C, kernel_size=(1 + s_H - t_H, 1 + s_W - t_W))
        else:
            self.conv = nn.Conv2d(s_C, t_C, kernel_size=3, stride=1, padding=1)
            self.pool_teacher = True
        self.bn = nn.BatchNorm2d(t_C)
        self.relu = nn.ReLU(inplace=True) if use_relu else nn.Identity()

    def regress(self, s: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(s)))

    def forward(self, s: torch.Tensor, t: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        s = self.regress(s)
        if self.pool_teacher:
            t = F.adaptive_avg_pool2d(t, (self.s_H, self.s_H))
        return s, t
