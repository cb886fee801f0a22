"""Probabilistic knowledge transfer (Passalis & Tefas, ECCV 2018), RepDistiller/SemCKD
distiller_zoo/PKT.py."""
import torch
import torch.nn as nn

from mmkd.registry import MODELS


def _conditional_probs(x: torch.Tensor, eps: float) -> torch.Tensor:
    x = x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)
    x = torch.where(torch.isnan(x), torch.zeros_like(x), x)
    sim = (x @ x.t() + 1.0) / 2.0
    return sim / sim.sum(dim=1, keepdim=True)


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def pkt_loss(s_emb: torch.Tensor, t_emb: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """``mean_{i,j} P_t·log((P_t + eps)/(P_s + eps))`` over the B×B grid, where ``P`` is the
    row-normalised cosine similarity mapped to ``[0, 1]`` by ``(cos + 1)/2`` (rows L2-normalised
    with ``eps`` added to the norm, NaNs set to 0)."""
    p_s = _conditional_probs(s_emb.float().flatten(1), eps)
    p_t = _conditional_probs(t_emb.float().flatten(1), eps)
    return (p_t * torch.log((p_t + eps) / (p_s + eps))).mean()


@MODELS.register_module()
class PKTLoss(nn.Module):
    """PKT: ``L = loss_weight · mean(P_t · log((P_t + ε)/(P_s + ε)))`` on the pooled vectors —
    a KL between the cosine-similarity conditional distributions, mean- (not sum-) reduced over
    the B×B grid. β = 30000 (RepDistiller/SemCKD distiller_zoo/PKT.py).

    Args:
        eps: ε (1e-7).
        loss_weight: β (30000).
    """

    source = 'emb'

    def __init__(self, eps: float = 1e-7, loss_weight: float = 30000.0):
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, s_feats: torch.Tensor, t_feats: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * pkt_loss(s_feats, t_feats, self.eps)
