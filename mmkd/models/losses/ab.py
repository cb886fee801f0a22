"""Activation-boundary distillation (Heo et al., AAAI 2019) as in RepDistiller,
RepDistiller distiller_zoo/AB.py, models/util.py Connector, helper/pretrain.py init stage."""
import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .at import _pairs


def _alternative_l2(s: torch.Tensor, t: torch.Tensor, margin: float) -> torch.Tensor:
    """``Σ (s+m)²·[s > −m ∧ t ≤ 0] + (s−m)²·[s ≤ m ∧ t > 0]`` over all elements."""
    neg = ((s > -margin) & (t <= 0)).float()
    pos = ((s <= margin) & (t > 0)).float()
    return ((s + margin).pow(2) * neg + (s - margin).pow(2) * pos).sum()


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def ab_loss(s_feats, t_feats, margin: float = 1.0) -> torch.Tensor:
    """``Σ_i w_i · 3/1000 · AL2(s_i, t_i) / B`` with layer weights ``w_i = 2^(i − n + 1)``
    (``n`` pairs; the last gets 1, each earlier one half the next) and the per-element
    alternative L2 of :func:`_alternative_l2` summed over the whole map.

    ``s_feats`` are the connected student pre-activations, ``t_feats`` the teacher's, pairwise of
    equal shape.
    """
    pairs = _pairs(s_feats, t_feats, 'AB')
    n = len(pairs)
    B = pairs[0][0].shape[0]
    total = 0.
    for i, (s, t) in enumerate(pairs):
        w = 2.0**(i - n + 1)
        total = total + w * _alternative_l2(s.float(), t.float(), margin) / B * 3 / 1000
    return total


@MODELS.register_module()
class ABLoss(nn.Module):
    """Activation boundaries: ``L = loss_weight · Σ_i 2^(i−n+1) · (3/1000) · AL2_i / B`` on the
    **pre-activation** stage maps (``preact = True``), margin ``m = 1`` (see :func:`ab_loss`).

    Attach :class:`mmkd.models.connectors.ABConnector` (identity or conv+BN per layer).

    ``init_stage_only = True``: in RepDistiller all AB distillation happens in a 30-epoch init
    stage that trains the connector and the student's feature layers on this loss alone
    (unweighted, i.e. ``loss_weight = 1``); the main stage sets the distillation loss to 0 (its
    ``-b 1`` does nothing) and trains with CE only (RepDistiller train_student.py sets ``loss_kd =
    0`` for abound).

    Args:
        margin: m (1.0).
        loss_weight: β (1).
    """

    source = 'stages'
    preact = True
    init_stage_only = True

    def __init__(self, margin: float = 1.0, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        return self.loss_weight * ab_loss(s_feats, t_feats, self.margin)
