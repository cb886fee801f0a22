"""Variational information distillation (Ahn et al., CVPR 2019), RepDistiller/SemCKD
distiller_zoo/VID.py."""
import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .at import _as_list


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def vid_loss(means, targets, variances) -> torch.Tensor:
    """Gaussian negative log-likelihood without the constant, averaged over all elements and
    summed over layer pairs: ``Σ_i mean_{b,c,h,w} 0.5·((μ − t)²/σ²_c + log σ²_c)``.

    Args:
        means: predicted means ``(B, C, H, W)`` (a tensor or a list, one per pair).
        targets: teacher maps of the same shapes.
        variances: per-channel variances ``(C,)`` (already ``softplus(log_scale) + eps``).
    """
    triples = list(zip(_as_list(means), _as_list(targets), _as_list(variances)))
    if not triples:
        raise ValueError('VID: no (student, teacher) feature pair to compare; check the loss '
                         '`source` and that a VIDConnector is attached')
    total = 0.
    for mu, t, var in triples:
        mu, t = mu.float(), t.float()
        var = var.float().view(1, -1, *([1] * (mu.dim() - 2)))
        total = total + (0.5 * ((mu - t).pow(2) / var + var.log())).mean()
    return total


@MODELS.register_module()
class VIDLoss(nn.Module):
    """VID: ``L = loss_weight · Σ_i mean(0.5·((μ_i(F_s) − F_t)²/σ_i² + log σ_i²))``.

    ``μ_i`` (a 3-layer 1×1-conv regressor) and ``σ_i² = softplus(log_scale_i) + 1e-5`` belong to
    :class:`mmkd.models.connectors.VIDConnector`, which must be attached: it pools the larger map
    of each pair to the smaller and returns ``(means, targets, variances)``, the three arguments of
    :meth:`forward`. Pairs are the stage maps ``feat[1:-1]``. β = 1 (RepDistiller/SemCKD
    distiller_zoo/VID.py).

    Args:
        loss_weight: β (1).
    """

    source = 'stages'

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feats, t_feats, variances) -> torch.Tensor:
        return self.loss_weight * vid_loss(s_feats, t_feats, variances)
