"""Neuron selectivity transfer (Huang & Wang, 2017), RepDistiller distiller_zoo/NST.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .at import _pairs, pool_to_smaller


def _poly_kernel_mean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``mean_{n, i, j} (a[n, i] · b[n, j])²`` for ``a (B, Ca, N)``, ``b (B, Cb, N)``."""
    return torch.bmm(a, b.transpose(1, 2)).pow(2).mean()


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def nst_loss(s_feats, t_feats) -> torch.Tensor:
    """Squared MMD with the polynomial kernel ``k(x, y) = (xᵀy)²`` between the sets of channel
    vectors (each channel's flattened spatial map, L2-normalised):
    ``mean k(t,t) (detached) + mean k(s,s) − 2·mean k(s,t)``, summed over ``zip`` pairs after
    pooling the larger map of each pair to the smaller."""
    total = 0.
    for s, t in _pairs(s_feats, t_feats, 'NST'):
        s, t = pool_to_smaller(s.float(), t.float())
        s = F.normalize(s.flatten(2), dim=2)
        t = F.normalize(t.flatten(2), dim=2)
        total = total + (
            _poly_kernel_mean(t, t).detach() + _poly_kernel_mean(s, s) -
            2 * _poly_kernel_mean(s, t))
    return total


@MODELS.register_module()
class NSTLoss(nn.Module):
    """NST: ``L = loss_weight · Σ_i MMD²_poly(F_s^i, F_t^i)`` over the stage maps (see
    :func:`nst_loss`). β = 50 (RepDistiller distiller_zoo/NST.py).

    Args:
        loss_weight: β (50).
    """

    source = 'stages'

    def __init__(self, loss_weight: float = 50.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        return self.loss_weight * nst_loss(s_feats, t_feats)
