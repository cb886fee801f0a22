"""The optional loss terms of UNIXKD (xuguodong03/UNIXKD ``student_v0.py`` lines 170-185).

The reference trains with the KD term only (``--ce-weight 0 --kd-weight 1``, every run of
``command/command.sh``); its label term and its ``--other-distill`` feature terms are options:

* :class:`UNIXMixupCELoss`, the mixup cross-entropy with per-sample weights;
* ``--other-distill AT`` is :class:`~mmkd.models.losses.ATLoss` on the stage outputs, weight
  1000 (``zoo.py:Attention`` summed over ``feats[1:-1]``, the same formula);
* ``--other-distill SP`` is :class:`UNIXSampleWiseSPLoss`, weight 3000: ``zoo.py:Similarity``
  called on the single tensor ``feats[-2]``, so its ``zip`` runs over the *samples* (see the class).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def mixup_ce_loss(s_logits: torch.Tensor, labels: torch.Tensor, mix_labels: torch.Tensor,
                  mix_weights: torch.Tensor) -> torch.Tensor:
    """``mean_i [(1 − m_i)·CE(s_i, y_i) + m_i·CE(s_i, y'_i)]`` (reference ``loss_ce.mean()``)."""
    s_logits = s_logits.float()
    m = mix_weights.float().reshape(-1)
    ce = F.cross_entropy(s_logits, labels, reduction='none')
    ce_mix = F.cross_entropy(s_logits, mix_labels, reduction='none')
    return (ce * (1 - m) + ce_mix * m).mean()


@MODELS.register_module()
class UNIXMixupCELoss(nn.Module):
    """UNIXKD's mixup CE: ``L = w · mean_i [(1 − mask_i)·CE(s_i, y[rank_i]) +
    mask_i·CE(s_i, y[perm_i])]`` over the k kept samples.

    ``labels``, ``mix_labels`` (``y[perm]``) and ``mix_weights`` (``mask``) are the batch fields
    :class:`~mmkd.models.distillers.UNIXKDBatchTransform` writes; use this loss, not the
    distiller's ``student_loss_weight``, for a label term with UNIXKD. The reference's default
    (and every published run) has weight 0.

    Args:
        loss_weight: the reference ``--ce-weight``.
    """

    source = 'logits'

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                s_logits: torch.Tensor,
                t_logits: torch.Tensor,
                labels: Optional[torch.Tensor] = None,
                mix_labels: Optional[torch.Tensor] = None,
                mix_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        if labels is None or mix_labels is None or mix_weights is None:
            raise ConfigError('UNIXMixupCELoss needs the batch fields labels, mix_labels and '
                              'mix_weights: use it with '
                              "batch_transform=dict(type='UNIXKDBatchTransform', ...).")
        return self.loss_weight * mixup_ce_loss(s_logits, labels, mix_labels, mix_weights)


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def sample_wise_sp_loss(s_feat: torch.Tensor, t_feat: torch.Tensor) -> torch.Tensor:
    """``Σ_i ‖Ĝ_t^i − Ĝ_s^i‖_F² / C²`` with ``G^i = F_i F_iᵀ`` the ``C×C`` channel Gram matrix of
    sample i (``F_i`` its ``C×HW`` map) and ``Ĝ`` its rows L2-normalised."""
    if s_feat.shape[:2] != t_feat.shape[:2]:
        raise ConfigError(
            'UNIXSampleWiseSPLoss compares per-sample C×C channel Gram matrices, so student and '
            f'teacher need the same channel count; got {tuple(s_feat.shape)} and '
            f'{tuple(t_feat.shape)} (the reference fails there too). Use SPLoss for pairs with '
            'different widths.')
    n, c = s_feat.shape[:2]
    s = s_feat.float().reshape(n, c, -1)
    t = t_feat.float().reshape(n, c, -1)
    g_s = F.normalize(s @ s.transpose(1, 2), dim=2)
    g_t = F.normalize(t @ t.transpose(1, 2), dim=2)
    return ((g_t - g_s).pow(2).sum(dim=(1, 2)) / (c * c)).sum()


@MODELS.register_module()
class UNIXSampleWiseSPLoss(nn.Module):
    """UNIXKD's ``--other-distill SP`` term, as the reference computes it.

    ``student_v0.py`` calls ``Similarity()(s_feats[-2], t_feats[-2])`` with *tensors*, not lists,
    so ``zoo.py``'s ``zip(g_s, g_t)`` iterates over the batch: every sample's ``C×H×W`` map is
    taken as a "batch" of ``C`` rows, giving a ``C×C`` channel-similarity matrix per sample. The
    result, summed over the samples, is
    ``L = w · Σ_i ‖norm(G_t^i) − norm(G_s^i)‖_F² / C²``. This reference quirk is the default of
    the UNIXKD SP add-on; :class:`~mmkd.models.losses.SPLoss` is the batch-similarity SP of the
    SP paper (Tung & Mori, ICCV 2019), the corrected alternative.

    Args:
        loss_weight: 3000 in the reference.
    """

    source = 'last_stage'

    def __init__(self, loss_weight: float = 3000.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feat: torch.Tensor, t_feat: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * sample_wise_sp_loss(s_feat, t_feat)
