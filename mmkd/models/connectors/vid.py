"""VID's per-layer mean regressors and learnable variances, RepDistiller/SemCKD
distiller_zoo/VID.py."""
import math
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def _as_shape_list(shapes) -> List[Tuple[int, ...]]:
    """A single shape or a list of shapes → list of ``(C, H, W)`` tuples."""
    if len(shapes) > 0 and isinstance(shapes[0], int):
        shapes = [shapes]
    out = []
    for s in shapes:
        s = tuple(int(x) for x in s)
        out.append(s[1:] if len(s) == 4 else s)
    return out


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class VIDRegressor(nn.Module):
    """One layer pair: ``conv1x1(Cs→Cm) → ReLU → conv1x1(Cm→Cm) → ReLU → conv1x1(Cm→Ct)``
    (bias-free, no BN, PyTorch default init) and a learnable ``log_scale`` of length ``Ct``."""

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 init_pred_var: float = 5.0,
                 eps: float = 1e-5):
        super().__init__()
        self.regressor = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(mid_channels, mid_channels, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(mid_channels, out_channels, 1, bias=False),
        )
        # inverse softplus of (init_pred_var - eps): softplus(log_scale) + eps = init_pred_var
        init = math.log(math.expm1(init_pred_var - eps))
        self.log_scale = nn.Parameter(torch.full((out_channels, ), init))
        self.eps = eps

    def variance(self) -> torch.Tensor:
        """``σ² = softplus(log_scale) + eps``, shape ``(Ct,)``."""
        return F.softplus(self.log_scale.float()) + self.eps

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.regressor(s)


@MODELS.register_module()
class VIDConnector(nn.Module):
    """Variational information distillation: per (student, teacher) stage pair, a regressor
    predicting the mean of a Gaussian over the teacher map, and a per-channel variance.

    Pairs are ``zip(student maps, teacher maps)`` (first with first; extra maps are unused).
    For each pair the larger spatial map is adaptive-average-pooled to the smaller (square maps
    assumed, as in the reference) **before** the regressor.

    ``log_scale`` starts at ``log(exp(init_pred_var − eps) − 1)`` (≈ 4.99323 for 5.0), i.e.
    ``σ² = softplus(log_scale) + eps = init_pred_var`` at initialisation.

    ``forward(s_feats, t_feats)`` returns ``(means, targets, variances)``: three lists (one item
    per pair) of the predicted means ``(B, Ct, h, w)``, the (possibly pooled) teacher maps and the
    variances ``(Ct,)`` — what :class:`mmkd.models.losses.VIDLoss` takes.

    Args:
        s_shape: list of student map shapes ``(C, H, W)``.
        t_shape: list of teacher map shapes ``(C, H, W)``.
        init_pred_var: initial variance (5.0).
        eps: variance floor (1e-5).
    """

    def __init__(self, s_shape, t_shape, init_pred_var: float = 5.0, eps: float = 1e-5):
        super().__init__()
        s_shapes, t_shapes = _as_shape_list(s_shape), _as_shape_list(t_shape)
        # reference: VIDLoss(Cs, Ct, Ct) -> mid channels = teacher channels
        self.layers = nn.ModuleList([
            VIDRegressor(s[0], t[0], t[0], init_pred_var, eps) for s, t in zip(s_shapes, t_shapes)
        ])

    def forward(self, s_feats, t_feats):
        means, targets, variances = [], [], []
        for layer, s, t in zip(self.layers, _as_list(s_feats), _as_list(t_feats)):
            s_H, t_H = s.shape[2], t.shape[2]
            if s_H > t_H:
                s = F.adaptive_avg_pool2d(s, (t_H, t_H))
            elif s_H < t_H:
                t = F.adaptive_avg_pool2d(t, (s_H, s_H))
            means.append(layer(s))
            targets.append(t)
            variances.append(layer.variance())
        return means, targets, variances
