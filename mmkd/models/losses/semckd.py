"""SemCKD loss: attention-weighted cross-layer MSE (Chen et al., AAAI-21).

Reference: SemCKD distiller_zoo/SemCKD.py.
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


def semckd_loss(proj_s: Sequence[Sequence[torch.Tensor]],
                t_aligned: Sequence[Sequence[torch.Tensor]], alpha: torch.Tensor) -> torch.Tensor:
    """SemCKD loss (SemCKD paper Eq. for L_SemCKD; SemCKD distiller_zoo/SemCKD.py)::

        d[b,i,j] = mean_{c,h,w} (proj_s[i][j][b] - t_aligned[i][j][b])^2
        L = ( sum_b sum_i sum_j alpha[b,i,j] * d[b,i,j] ) / (B * S)

    ``alpha`` is ``(B, S, T)`` from :class:`~mmkd.models.connectors.SelfAttentionConnector` and is
    **not** detached (gradients reach its query/key MLPs). Computed in float32.
    """
    bsz, num_s, num_t = alpha.shape
    if len(proj_s) != num_s or len(t_aligned) != num_s:
        raise ValueError(f'semckd_loss: alpha has {num_s} student maps but got '
                         f'{len(proj_s)}/{len(t_aligned)} rows of projections/targets')
    with _fp32_region(alpha):
        rows = []
        for i in range(num_s):
            if len(proj_s[i]) != num_t or len(t_aligned[i]) != num_t:
                raise ValueError(f'semckd_loss: alpha has {num_t} teacher maps but row {i} has '
                                 f'{len(proj_s[i])}/{len(t_aligned[i])} entries')
            cols = [(p.float() - t.float()).pow(2).reshape(bsz, -1).mean(dim=1)
                    for p, t in zip(proj_s[i], t_aligned[i])]
            rows.append(torch.stack(cols, dim=1))  # (B, T)
        d = torch.stack(rows, dim=1)  # (B, S, T)
        return (alpha.float() * d).sum() / (bsz * num_s)


@MODELS.register_module()
class SemCKDLoss(nn.Module):
    """``loss_weight * semckd_loss(proj_s, t_aligned, alpha)``.

    Reads all stage maps of both networks (``source='stages'``) through
    :class:`~mmkd.models.connectors.SelfAttentionConnector`, whose ``(proj_s, t_aligned, alpha)``
    are passed here. β = 400 on CIFAR-100 (50 on ImageNet).
    """
    source = 'stages'

    def __init__(self, loss_weight: float = 400.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, proj_s, t_aligned, alpha) -> torch.Tensor:
        return self.loss_weight * semckd_loss(proj_s, t_aligned, alpha)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
