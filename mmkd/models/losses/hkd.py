"""HKD: heterogeneous KD via information-flow modelling (Passalis et al., CVPR-20), SemCKD's code.

Reference: SemCKD distiller_zoo/HKD.py, the
'combined' kernels and loss of the author's pkt_transfer.py. The two-pass recipe (a PKT-distilled
proxy teacher ``resnet8x4_double``) is a matter of configs, not of this loss.
"""
import contextlib
from typing import Sequence

import torch
import torch.nn as nn

from mmkd.registry import MODELS


def _fp32_region(t: torch.Tensor):
    """A context where autocast is off, so the math below runs in float32."""
    try:
        return torch.autocast(device_type=t.device.type, enabled=False)
    except (RuntimeError, ValueError):  # a device type autocast does not know
        return contextlib.nullcontext()


def hkd_cosine_kernel(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``(cos(x_a, x_b) + 1) / 2`` with rows divided by ``|x| + eps`` (NaNs set to 0)."""
    x = x / (x.norm(dim=1, keepdim=True) + eps)
    x = torch.where(torch.isnan(x), torch.zeros_like(x), x)
    return (x @ x.t() + 1.0) / 2.0


def hkd_student_t_kernel(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``1 / (1 + dist)`` with ``dist = sqrt(max(|a|^2 + |b|^2 - 2 a.b, 0) + eps)`` (d = 1).

    The squared distance of a sample to itself is set to exactly 0: in float32 the Gram formula
    leaves rounding noise of order ``1e-7 * |a|^2`` there (the reference's kernel diagonal is
    ``1/(1 + sqrt(noise + eps))``, which shifts the loss by ~0.1% on random maps).
    """
    sq = x.pow(2).sum(dim=1)
    d2 = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * (x @ x.t())).clamp(min=0)
    d2 = d2 * (1 - torch.eye(len(x), device=x.device, dtype=d2.dtype))
    return 1.0 / (1.0 + torch.sqrt(d2 + eps))


def _row_normalise(k: torch.Tensor) -> torch.Tensor:
    return k / k.sum(dim=1, keepdim=True)


def _jeffreys(p_t: torch.Tensor, p_s: torch.Tensor) -> torch.Tensor:
    return ((p_t - p_s) * (torch.log(p_t) - torch.log(p_s))).mean()


def hkd_layer_loss(f_s: torch.Tensor, f_t: torch.Tensor) -> torch.Tensor:
    """HKD loss of one layer pair: ``J(cosine) + J(student_t)``.

    Both maps are flattened to ``(B, D)``; each kernel's ``B x B`` matrix is row-normalised to a
    distribution and ``J(P_t, P_s) = mean((P_t - P_s) * (log P_t - log P_s))`` (Jeffreys).
    """
    s = f_s.reshape(f_s.shape[0], -1)
    t = f_t.reshape(f_t.shape[0], -1)
    loss = _jeffreys(_row_normalise(hkd_cosine_kernel(t)), _row_normalise(hkd_cosine_kernel(s)))
    return loss + _jeffreys(
        _row_normalise(hkd_student_t_kernel(t)), _row_normalise(hkd_student_t_kernel(s)))


def hkd_loss(s_feats: Sequence[torch.Tensor],
             t_feats: Sequence[torch.Tensor],
             init_weight: float = 100.0,
             decay: float = 0.7,
             fix_layer_decay: bool = False) -> torch.Tensor:
    """HKD loss over zipped layer pairs (SemCKD distiller_zoo/HKD.py), without β.

    Reference behaviour (default): ``init_weight * L_0 + L_1 + L_2 + ...`` — the decayed weight is
    computed but never applied (SemCKD distiller_zoo/HKD.py). With ``fix_layer_decay=True`` layer
    ``l`` gets ``init_weight * decay**l``. Computed in float32.
    """
    if len(s_feats) == 0 or len(t_feats) == 0:
        raise ValueError('hkd_loss needs at least one student and one teacher feature map')
    with _fp32_region(s_feats[0]):
        total = 0.0
        for i, (fs, ft) in enumerate(zip(s_feats, t_feats)):
            if i == 0:
                w = init_weight
            else:
                w = init_weight * decay**i if fix_layer_decay else 1.0
            total = total + w * hkd_layer_loss(fs.float(), ft.detach().float())
        return total


@MODELS.register_module()
class HKDLoss(nn.Module):
    """``loss_weight * hkd_loss(s_stages, t_stages)`` (``source='stages'``; β = 1 in SemCKD).

    Args:
        init_weight (float): weight of the first layer, 100 (``--hkd_initial_weight``).
        decay (float): per-layer decay, 0.7 (``--hkd_decay``); only used with
            ``fix_layer_decay=True``.
        fix_layer_decay (bool): False reproduces the reference (weights 100, 1, 1, ...);
            True applies ``init_weight * decay**l``.
        loss_weight (float): β, 1.
    """
    source = 'stages'

    def __init__(self,
                 init_weight: float = 100.0,
                 decay: float = 0.7,
                 fix_layer_decay: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        self.init_weight = init_weight
        self.decay = decay
        self.fix_layer_decay = fix_layer_decay
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        if isinstance(s_feats, torch.Tensor):
            s_feats = [s_feats]
        if isinstance(t_feats, torch.Tensor):
            t_feats = [t_feats]
        return self.loss_weight * hkd_loss(s_feats, t_feats, self.init_weight, self.decay,
                                           self.fix_layer_decay)

    def extra_repr(self) -> str:
        return (f'init_weight={self.init_weight}, decay={self.decay}, '
                f'fix_layer_decay={self.fix_layer_decay}, loss_weight={self.loss_weight}')
