"""IRG: instance relationship graph distillation (Liu et al., CVPR-19), as in SemCKD's code.

Reference: SemCKD distiller_zoo/IRG.py.
"""
import contextlib
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def _fp32_region(t: torch.Tensor):
    """A context where autocast is off, so the math below runs in float32."""
    try:
        return torch.autocast(device_type=t.device.type, enabled=False)
    except (RuntimeError, ValueError):  # a device type autocast does not know
        return contextlib.nullcontext()


def irg_pdist(e: torch.Tensor, squared: bool = True, eps: float = 1e-12) -> torch.Tensor:
    """Pairwise distance matrix of the rows of ``e`` (``(B, D)``), max-normalised.

    ``d[a,b] = max(|e_a|^2 + |e_b|^2 - 2 e_a.e_b, eps)`` (its square root if not ``squared``),
    diagonal set to 0, then divided by ``max(d) + eps``.
    """
    sq = e.pow(2).sum(dim=1)
    d = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * (e @ e.t())).clamp(min=eps)
    if not squared:
        d = d.sqrt()
    d = d * (1 - torch.eye(len(e), device=e.device, dtype=d.dtype))
    return d / (d.max() + eps)


def _irg_transform_loss(l1_s, l2_s, l1_t, l2_t, edge_transform: bool = True):
    losses = []
    if edge_transform:
        ds = F.mse_loss(
            irg_pdist(l1_s.reshape(l1_s.shape[0], -1)), irg_pdist(l2_s.reshape(l2_s.shape[0], -1)))
        with torch.no_grad():
            dt = F.mse_loss(
                irg_pdist(l1_t.reshape(l1_t.shape[0], -1)),
                irg_pdist(l2_t.reshape(l2_t.shape[0], -1)))
        losses.append((ds - dt).pow(2))
    if l1_s.shape == l2_s.shape and l1_t.shape == l2_t.shape:
        with torch.no_grad():
            vt = F.mse_loss(l1_t, l2_t)
        losses.append((F.mse_loss(l1_s, l2_s) - vt).pow(2))
    return sum(losses)


def irg_loss(f_s: torch.Tensor,
             f_t: torch.Tensor,
             transform_s: Sequence[torch.Tensor] = (),
             transform_t: Sequence[torch.Tensor] = (),
             w_graph: float = 1.0,
             w_transform: float = 1.0,
             edge_transform: bool = True) -> torch.Tensor:
    """IRG loss (SemCKD distiller_zoo/IRG.py), without β::

        L_graph = MSE(pdist(f_s), pdist(f_t)) [+ MSE(f_s, f_t) if the shapes are equal]
        L = w_graph * L_graph + w_transform * sum over pairs (l1, l2) = (0,1), (2,3), ... of
            (MSE(pdist(l1_s), pdist(l2_s)) - MSE(pdist(l1_t), pdist(l2_t)))^2   [edge_transform]
          + (MSE(l1_s, l2_s) - MSE(l1_t, l2_t))^2                               [equal shapes]

    ``pdist`` is :func:`irg_pdist` (squared, diagonal 0, max-normalised); MSE is the mean over all
    elements; the teacher terms carry no gradient. The transform lists are zipped (the shorter
    wins) and an odd last layer is ignored, as in the reference. Computed in float32.
    """
    with _fp32_region(f_s):
        f_s = f_s.float()
        f_t = f_t.detach().float()
        with torch.no_grad():
            d_t = irg_pdist(f_t.reshape(f_t.shape[0], -1))
        d_s = irg_pdist(f_s.reshape(f_s.shape[0], -1))
        loss = F.mse_loss(d_s, d_t)
        if f_s.shape == f_t.shape:
            loss = loss + F.mse_loss(f_s, f_t)
        loss = loss * w_graph
        pairs = list(zip(transform_s, transform_t))
        for (l1_s, l1_t), (l2_s, l2_t) in list(zip(pairs, pairs[1:]))[::2]:
            loss = loss + w_transform * _irg_transform_loss(l1_s.float(), l2_s.float(),
                                                            l1_t.detach().float(),
                                                            l2_t.detach().float(), edge_transform)
        return loss


@MODELS.register_module()
class IRGLoss(nn.Module):
    """``loss_weight * irg_loss(...)`` (β = 0.005 in SemCKD's script).

    ``forward(s_feats, t_feats)``: with the default ``source='emb'`` each side is the pooled
    embedding ``(B, C)``. For the optional transform loss give lists, ``[emb, l_0, l_1, ...]``
    (e.g. ``source=[-1, 1, 2]``): element 0 is the graph feature, the rest are the transform layers
    (the reference's ``--transform_layer_s/t``), paired as (l_0, l_1), (l_2, l_3), ...

    Args:
        loss_weight (float): β, 0.005.
        w_graph (float): weight of the vertex+edge loss, 1.
        w_transform (float): weight of the transform loss, 1.
        edge_transform (bool): include the edge part of the transform loss (the reference's
            ``--no_edge_transform`` sets it False).
    """
    source = 'emb'

    def __init__(self,
                 loss_weight: float = 0.005,
                 w_graph: float = 1.0,
                 w_transform: float = 1.0,
                 edge_transform: bool = True):
        super().__init__()
        self.loss_weight = loss_weight
        self.w_graph = w_graph
        self.w_transform = w_transform
        self.edge_transform = edge_transform

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        if isinstance(s_feats, (list, tuple)):
            f_s, transform_s = s_feats[0], list(s_feats[1:])
        else:
            f_s, transform_s = s_feats, []
        if isinstance(t_feats, (list, tuple)):
            f_t, transform_t = t_feats[0], list(t_feats[1:])
        else:
            f_t, transform_t = t_feats, []
        return self.loss_weight * irg_loss(f_s, f_t, transform_s, transform_t, self.w_graph,
                                           self.w_transform, self.edge_transform)

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, w_graph={self.w_graph}, '
                f'w_transform={self.w_transform}, edge_transform={self.edge_transform}')
