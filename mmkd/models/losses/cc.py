"""Correlation congruence (Peng et al., ICCV 2019) as implemented in RepDistiller,
RepDistiller/SemCKD distiller_zoo/CC.py."""
import torch
import torch.nn as nn

from mmkd.registry import MODELS


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def cc_loss(s_emb: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
    """``δ = |e_s − e_t|``; ``mean_{i<B−1} Σ_d δ[i, d]·δ[i+1, d]`` (consecutive samples).

    A batch of one sample has no consecutive pair; the loss is then 0.
    """
    delta = (s_emb.float().flatten(1) - t_emb.float().flatten(1)).abs()
    if delta.shape[0] < 2:
        return delta.sum() * 0.
    return (delta[:-1] * delta[1:]).sum(dim=1).mean()


@MODELS.register_module()
class CCLoss(nn.Module):
    """Correlation congruence, the code's version (not the paper's kernelised one):
    ``L = loss_weight · mean_i Σ_d δ[i,d]·δ[i+1,d]`` with ``δ = |e_s − e_t|`` the residual of the
    embeddings of the pooled vectors (``B × 128``). β = 0.02 (RepDistiller/SemCKD
    distiller_zoo/CC.py, scripts/run_cifar_distill.sh).

    Attach :class:`mmkd.models.connectors.LinearEmbedConnector` (``Linear → 128`` per side,
    both trainable).

    Args:
        loss_weight: β (0.02).
    """

    source = 'emb'

    def __init__(self, loss_weight: float = 0.02):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feats: torch.Tensor, t_feats: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * cc_loss(s_feats, t_feats)
