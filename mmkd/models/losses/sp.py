"""Similarity-preserving KD (Tung & Mori, ICCV 2019), RepDistiller/SemCKD distiller_zoo/SP.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .at import _pairs


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def sp_loss(s_feats, t_feats) -> torch.Tensor:
    """``‖Ĝ_t − Ĝ_s‖_F² / B²`` with ``G = F Fᵀ`` of the per-sample-flattened map and ``Ĝ`` its
    rows L2-normalised; summed over pairs when given lists."""
    total = 0.
    for s, t in _pairs(s_feats, t_feats, 'SP'):
        B = s.shape[0]
        s = s.float().reshape(B, -1)
        t = t.float().reshape(B, -1)
        g_s = F.normalize(s @ s.t(), dim=1)
        g_t = F.normalize(t @ t.t(), dim=1)
        total = total + (g_t - g_s).pow(2).sum() / (B * B)
    return total


@MODELS.register_module()
class SPLoss(nn.Module):
    """Similarity preserving: ``L = loss_weight · ‖Ĝ_t − Ĝ_s‖_F² / B²`` on the last stage map.

    ``G = F Fᵀ`` (B×B) of the flattened map, each row L2-normalised. β = 3000 (RepDistiller/SemCKD
    distiller_zoo/SP.py).

    Args:
        loss_weight: β (3000).
    """

    source = 'last_stage'

    def __init__(self, loss_weight: float = 3000.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        return self.loss_weight * sp_loss(s_feats, t_feats)
