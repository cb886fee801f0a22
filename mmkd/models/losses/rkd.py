"""Relational KD (Park et al., CVPR 2019), RepDistiller/SemCKD distiller_zoo/RKD.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def _pairwise_distance(e: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Euclidean distances ``(B, B)`` from the expanded squared form, clamped at ``eps`` before
    the square root, diagonal set to 0."""
    sq = e.pow(2).sum(dim=1)
    d2 = (sq[:, None] + sq[None, :] - 2 * e @ e.t()).clamp(min=eps)
    d = d2.sqrt()
    eye = torch.eye(e.shape[0], dtype=torch.bool, device=e.device)
    return d.masked_fill(eye, 0.)


def _normalised_distance(e: torch.Tensor) -> torch.Tensor:
    d = _pairwise_distance(e)
    return d / d[d > 0].mean()


def _angles(e: torch.Tensor) -> torch.Tensor:
    """``⟨e_ab, e_ac⟩`` for all anchors a, with ``e_ab = normalize(x_b − x_a)``: ``B³`` values."""
    diff = F.normalize(e[None, :, :] - e[:, None, :], p=2, dim=2)  # [a, b] = x_b - x_a
    return torch.bmm(diff, diff.transpose(1, 2)).flatten()


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def rkd_loss(s_emb: torch.Tensor,
             t_emb: torch.Tensor,
             w_d: float = 25.0,
             w_a: float = 50.0) -> torch.Tensor:
    """``w_d · SmoothL1(ψ_D(s), ψ_D(t)) + w_a · SmoothL1(ψ_A(s), ψ_A(t))`` (mean, threshold 1).

    ``ψ_D``: pairwise Euclidean distances divided by the mean of the positive ones; ``ψ_A``: the
    cosines of all anchor-based angle triples. The teacher terms are computed without gradient.
    """
    s = s_emb.float().flatten(1)
    t = t_emb.float().flatten(1)
    with torch.no_grad():
        t_d = _normalised_distance(t)
        t_a = _angles(t)
    loss_d = F.smooth_l1_loss(_normalised_distance(s), t_d)
    loss_a = F.smooth_l1_loss(_angles(s), t_a)
    return w_d * loss_d + w_a * loss_a


@MODELS.register_module()
class RKDLoss(nn.Module):
    """Relational KD: ``L = loss_weight · (w_d · L_distance + w_a · L_angle)`` on the pooled
    vectors, ``w_d = 25``, ``w_a = 50``, β = 1 (RepDistiller/SemCKD distiller_zoo/RKD.py). See
    :func:`rkd_loss`.

    Needs a batch of at least 2 samples (the mean positive distance is undefined otherwise).

    Args:
        w_d: distance-term weight.
        w_a: angle-term weight.
        loss_weight: β (1).
    """

    source = 'emb'

    def __init__(self, w_d: float = 25.0, w_a: float = 50.0, loss_weight: float = 1.0):
        super().__init__()
        self.w_d = w_d
        self.w_a = w_a
        self.loss_weight = loss_weight

    def forward(self, s_feats: torch.Tensor, t_feats: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * rkd_loss(s_feats, t_feats, self.w_d, self.w_a)
