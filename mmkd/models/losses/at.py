"""Attention transfer (Zagoruyko & Komodakis, ICLR 2017), RepDistiller/SemCKD
distiller_zoo/AT.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _pairs(s_feats, t_feats, method: str):
    """``zip`` of the student and teacher maps (first with first); an error if there is none."""
    pairs = list(zip(_as_list(s_feats), _as_list(t_feats)))
    if not pairs:
        raise ValueError(f'{method}: no (student, teacher) feature pair to compare; check the '
                         'loss `source` (it selected an empty list)')
    return pairs


def pool_to_smaller(s: torch.Tensor, t: torch.Tensor):
    """Adaptive-average-pool the map with the larger height down to the other's ``(H, H)``
    (square maps assumed, as in the reference)."""
    s_H, t_H = s.shape[2], t.shape[2]
    if s_H > t_H:
        s = F.adaptive_avg_pool2d(s, (t_H, t_H))
    elif s_H < t_H:
        t = F.adaptive_avg_pool2d(t, (s_H, s_H))
    return s, t


def attention_map(f: torch.Tensor, p: int = 2) -> torch.Tensor:
    """``L2normalize(flatten(mean_c f^p))`` per sample: ``(B, H·W)``."""
    return F.normalize(f.pow(p).mean(dim=1).flatten(1), dim=1)


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def at_loss(s_feats, t_feats, p: int = 2) -> torch.Tensor:
    """``Σ_pairs mean_{b, hw} (a(F_s) − a(F_t))²`` over ``zip(s_feats, t_feats)``.

    Accepts lists of maps (first student map with first teacher map; extra maps are unused) or
    single maps.
    """
    total = 0.
    for s, t in _pairs(s_feats, t_feats, 'AT'):
        s, t = pool_to_smaller(s.float(), t.float())
        total = total + (attention_map(s, p) - attention_map(t, p)).pow(2).mean()
    return total


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer: ``L = loss_weight · Σ_i mean((a(F_s^i) − a(F_t^i))²)``.

    ``a(F) = L2normalize(flatten(mean_c F^p))`` per sample, ``p = 2``; pairs are the stage maps
    ``feat[1:-1]`` zipped first-with-first (``min(S, T)`` pairs); the larger map of a pair is
    adaptive-average-pooled to the smaller size. β = 1000 (RepDistiller/SemCKD distiller_zoo/AT.py).

    Args:
        p: power of the activations.
        loss_weight: β (1000).
    """

    source = 'stages'

    def __init__(self, p: int = 2, loss_weight: float = 1000.0):
        super().__init__()
        self.p = p
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        return self.loss_weight * at_loss(s_feats, t_feats, self.p)
