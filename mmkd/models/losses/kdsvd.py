"""KDSVD: self-supervised KD with SVD (Lee et al., ECCV-18), as in RepDistiller's code.

Reference: RepDistiller distiller_zoo/KDSVD.py.
"""
import contextlib
from typing import Sequence, Tuple

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


def _finite(x: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isfinite(x), x, torch.zeros_like(x))


def kdsvd_svd(feat: torch.Tensor, n: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top-``n`` singular triplets of each sample's ``(H*W, C)`` matrix.

    Returns ``u (B, HW, n)``, ``s (B, n)``, ``v (B, C, n)``; non-finite entries are zeroed, the
    columns of ``u`` and ``v`` and the vector ``s`` are L2-normalised (as in the reference).
    """
    if feat.dim() != 4:
        raise ValueError(f'KDSVD expects (B, C, H, W) maps, got {tuple(feat.shape)}')
    b, c, h, w = feat.shape
    x = feat.reshape(b, c, h * w).transpose(1, 2)
    u, s, vh = torch.linalg.svd(x, full_matrices=False)
    u, s, v = _finite(u), _finite(s), _finite(vh.transpose(1, 2))
    return (F.normalize(u[:, :, :n], dim=1), F.normalize(s[:, :n],
                                                         dim=1), F.normalize(v[:, :, :n], dim=1))


def kdsvd_align(v_s: torch.Tensor, v_t: torch.Tensor) -> torch.Tensor:
    """Replace each teacher vector's partner by the student vector of largest |cosine|, sign-fixed.

    ``v_s (B, C, ks)``, ``v_t (B, C, kt)`` -> aligned student vectors ``(B, C, kt)``.
    """
    cos = v_s.transpose(1, 2) @ v_t  # (B, ks, kt)
    best = cos.abs().max(dim=1, keepdim=True).values
    mask = torch.where(cos.abs() == best, torch.sign(cos), torch.zeros_like(cos))
    return v_s @ mask


def kdsvd_losses(s_feats: Sequence[torch.Tensor], t_feats: Sequence[torch.Tensor], k: int = 1):
    """Per-layer KDSVD losses (layers 1.. of the zipped pairs), each already divided by B.

    For every pair: teacher top-``k`` and student top-``k+3`` right singular vectors, the student
    ones aligned to the teacher's (:func:`kdsvd_align`), both scaled by the teacher's (normalised)
    singular values. From the second pair on, with ``v`` (this layer) and ``w`` (previous layer)::

        rbf[b, c, c', n] = exp(-(v[b, c, n] - w[b, c', n])^2 / 8)
        L_l = sum (rbf_s - rbf_t)^2 / B             (non-finite terms set to 0)

    Needs equal student/teacher channel counts per layer. Computed in float32.
    """
    losses = []
    prev_s = prev_t = None
    with _fp32_region(s_feats[0]):
        bsz = s_feats[0].shape[0]
        for i, (fs, ft) in enumerate(zip(s_feats, t_feats)):
            if fs.shape[1] != ft.shape[1]:
                raise ValueError(f'KDSVD needs the same channel count for student and teacher at '
                                 f'every layer; layer {i}: {fs.shape[1]} vs {ft.shape[1]}')
            _, s_t, v_t = kdsvd_svd(ft.detach().float(), k)
            _, _, v_s = kdsvd_svd(fs.float(), k + 3)
            v_s = kdsvd_align(v_s, v_t)
            scale = s_t.unsqueeze(1)  # (B, 1, k)
            v_t = v_t * scale
            v_s = v_s * scale
            if i > 0:
                rbf_s = torch.exp(-(v_s.unsqueeze(2) - prev_s.unsqueeze(1)).pow(2) / 8)
                rbf_t = torch.exp(-(v_t.unsqueeze(2) - prev_t.unsqueeze(1)).pow(2) / 8)
                sq = _finite((rbf_s - rbf_t.detach()).pow(2))
                losses.append(sq.sum() / bsz)
            prev_s, prev_t = v_s, v_t
    return losses


def kdsvd_loss(s_feats: Sequence[torch.Tensor],
               t_feats: Sequence[torch.Tensor],
               k: int = 1) -> torch.Tensor:
    """Sum of :func:`kdsvd_losses` (RepDistiller's loop sums the returned list)."""
    losses = kdsvd_losses(s_feats, t_feats, k)
    if not losses:
        return s_feats[0].float().sum() * 0.0  # zero that keeps the student in the graph
    return sum(losses)


@MODELS.register_module()
class KDSVDLoss(nn.Module):
    """``loss_weight * kdsvd_loss(s_stages, t_stages, k)`` (``source='stages'``).

    RepDistiller ships no script for KDSVD, so there is no reference β; ``loss_weight`` defaults
    to 1. With a single stage pair the loss is 0 (it needs two consecutive layers).

    Args:
        k (int): teacher singular vectors kept (the student keeps ``k + 3``), 1.
        loss_weight (float): β, 1.
    """
    source = 'stages'

    def __init__(self, k: int = 1, loss_weight: float = 1.0):
        super().__init__()
        self.k = k
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        if isinstance(s_feats, torch.Tensor):
            s_feats = [s_feats]
        if isinstance(t_feats, torch.Tensor):
            t_feats = [t_feats]
        return self.loss_weight * kdsvd_loss(s_feats, t_feats, self.k)

    def extra_repr(self) -> str:
        return f'k={self.k}, loss_weight={self.loss_weight}'
