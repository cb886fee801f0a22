"""Flow of solution procedure (Yim et al., CVPR 2017) as in RepDistiller,
RepDistiller distiller_zoo/FSP.py, helper/pretrain.py init stage."""
from typing import List

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .at import _as_list, pool_to_smaller


def fsp_matrices(feats) -> List[torch.Tensor]:
    """For consecutive maps ``(bot, top) = (f_i, f_{i+1})`` (larger pooled to the smaller):
    ``G[b, c_top, c_bot] = mean_hw top[b, c_top, hw] · bot[b, c_bot, hw]``."""
    out = []
    for bot, top in zip(feats[:-1], feats[1:]):
        bot, top = pool_to_smaller(bot, top)
        bot, top = bot.flatten(2), top.flatten(2)
        out.append(torch.bmm(top, bot.transpose(1, 2)) / bot.shape[2])
    return out


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def fsp_loss(s_feats, t_feats) -> torch.Tensor:
    """``Σ_i mean((G_s^i − G_t^i)²)`` over the FSP matrices of consecutive layers.

    Student and teacher must give the same number of maps with equal channel counts at every
    index (RepDistiller raises otherwise).
    """
    s_feats = [f.float() for f in _as_list(s_feats)]
    t_feats = [f.float() for f in _as_list(t_feats)]
    if len(s_feats) < 2:
        raise ValueError(f'FSP needs at least two consecutive maps, got {len(s_feats)}; use '
                         "source='stem_and_stages'")
    s_c = [f.shape[1] for f in s_feats]
    t_c = [f.shape[1] for f in t_feats]
    if s_c != t_c:
        raise ValueError(
            f'FSP needs equal channel counts at every layer, got student {s_c} and teacher {t_c} '
            '(RepDistiller marks such pairs N/A)')
    total = 0.
    for g_s, g_t in zip(fsp_matrices(s_feats), fsp_matrices(t_feats)):
        total = total + (g_s - g_t).pow(2).mean()
    return total


@MODELS.register_module()
class FSPLoss(nn.Module):
    """FSP: ``L = loss_weight · Σ_i mean((G_s^i − G_t^i)²)``, with ``G^i`` the FSP (Gram) matrix
    between layers i and i+1 of ``feat[:-1]`` (stem included; see :func:`fsp_matrices`).

    ``init_stage_only = True``: RepDistiller trains the student's feature layers on this loss
    alone (unweighted sum) for a 30-epoch init stage, then sets the distillation loss to 0 in the
    main stage, so the script's ``-b 50`` is never applied (RepDistiller train_student.py sets
    ``loss_kd = 0`` for fsp; helper/pretrain.py). The default ``loss_weight`` is therefore 1, the
    weight the reference actually uses.

    Args:
        loss_weight: weight in the init stage (1).
    """

    source = 'stem_and_stages'
    init_stage_only = True

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats) -> torch.Tensor:
        return self.loss_weight * fsp_loss(s_feats, t_feats)
