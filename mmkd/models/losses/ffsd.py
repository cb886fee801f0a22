"""FFSD losses (feature fusion and self-distillation for online KD).

Paper: Li et al., "Distilling a Powerful Student Model via Online Knowledge Distillation", IEEE
TNNLS 2022 (arXiv 2103.14473), §III. Every formula below is what the reference trainer computes
(SJLeo/FFSD ``CIFARTrainer.py``: ``attention_loss``/``fusion_loss``/``l2_loss``,
``diversity_target``, ``diversity_loss``, ``self_distillation_loss``,
``train_self_distillation_model``). Notation: ``F`` a feature map ``B×C×H×W``; ``sg`` stop-gradient.

* attention map ``A(F) = mean_c F²`` (``B×1×H×W``, a channel **mean** of squares);
* ``N(v)``: flatten each sample and L2-normalise it (``F.normalize``, eps 1e-12);
* ``NMSE(x, y) = mean over all B·D entries of (N(x) − N(sg y))²`` (an elementwise mean, which is
  why FFSD's λ's are large);
* ``AttMSE(X, Y) = NMSE(A(X), A(Y))``, ``FeatMSE(X, Y) = NMSE(X, Y)`` (the whole C·H·W map);
* ``KD_T(z_s ← z_t) = T² · KL_batchmean(softmax(sg z_t / T) ‖ softmax(z_s / T))``.

Every term is computed in float32 at least (half-precision maps under autocast are upcast first:
squares, means and norms of bf16 maps lose most of their digits).

The registered modules hold the hyperparameters (``loss_weight`` is the FFSD λ of the term, to
which the distiller applies the warm-up factor).
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


# ----------------------------------------------------------------------------- primitives
def _at_least_float32(t: torch.Tensor) -> torch.Tensor:
    """``t`` in float32 if it is in a half-precision type (float64 stays float64)."""
    return t.to(torch.promote_types(t.dtype, torch.float32))


def attention_map(feat: torch.Tensor) -> torch.Tensor:
    """``A(F) = mean over channels of F²`` (``B×1×H×W``, float32 at least)."""
    return _at_least_float32(feat).pow(2).mean(1, keepdim=True)


def normalized_mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``mean((N(x) − N(sg y))²)`` with per-sample flattening and L2 normalisation."""
    x = F.normalize(_at_least_float32(x).reshape(x.size(0), -1))
    y = F.normalize(_at_least_float32(y.detach()).reshape(y.size(0), -1))
    return (x - y).pow(2).mean()


def attention_mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``AttMSE(X, Y) = NMSE(A(X), A(sg Y))``."""
    return normalized_mse(attention_map(x), attention_map(y.detach()))


def feature_mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``FeatMSE(X, Y) = NMSE(X, sg Y)`` over the flattened C·H·W map."""
    return normalized_mse(x, y)


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def kd_t(s_logits: torch.Tensor, t_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``T² · KL_batchmean(softmax(sg t / T) ‖ softmax(s / T))`` (the reference's
    ``criterion_KL`` with ``reduction='batchmean'`` times ``T²``)."""
    T = float(temperature)
    dtype = torch.promote_types(s_logits.dtype, torch.float32)  # half precision -> float32
    log_p_s = F.log_softmax(s_logits.to(dtype) / T, dim=1)
    p_t = F.softmax(t_logits.detach().to(dtype) / T, dim=1)
    return F.kl_div(log_p_s, p_t, reduction='batchmean') * T * T


def shifted_attention(prev_feat: torch.Tensor):
    """The attention-shift target of the diversity term, from the previous student's map.

    With ``a_raw = A(sg F)``, ``n = ‖vec a_raw‖₂`` per sample, ``a = N(a_raw)`` and
    ``τ`` = the ``k``-th smallest entry of ``a`` (``k = floor(hw / 3)``):
    ``s = (n/2 − a) · sign(a − τ) + n/2``, i.e. ``n − a`` above τ, ``a`` below, ``n/2`` at τ.
    Returns ``(s, a, n)`` (``B×hw``, ``B×hw``, ``B×1``). Reference ``diversity_loss`` /
    ``diversity_target`` (CIFARTrainer.py).
    """
    raw = attention_map(prev_feat.detach()).reshape(prev_feat.size(0), -1)
    norm = torch.norm(raw, dim=1, keepdim=True)
    a = F.normalize(raw)
    k = int(a.size(1) / 3)
    threshold = a.topk(k, dim=1, largest=False)[0][:, -1:]
    s = (norm / 2 - a) * torch.sign(a - threshold) + norm / 2
    return s, a, norm


def diversity_loss(feat: torch.Tensor, prev_feat: torch.Tensor) -> torch.Tensor:
    """``L_div = mean((N(A(F_i^L)) − s)²)`` with ``s`` the shifted target of ``F_{i−1}^L``."""
    s, _, _ = shifted_attention(prev_feat)
    x = F.normalize(attention_map(feat).reshape(feat.size(0), -1))
    return (x - s).pow(2).mean()


def shifted_feature(prev_feat: torch.Tensor) -> torch.Tensor:
    """``F̃ = sg F + ((s − a) · n / C)`` broadcast over the C channels (``diversity_target``):
    the previous student's deepest map with its attention shifted; the student-2 decoder's
    input in the shift-guided self-distillation term."""
    prev_feat = prev_feat.detach()
    s, a, norm = shifted_attention(prev_feat)
    offset = ((s - a) * norm / prev_feat.size(1)).reshape(
        prev_feat.size(0), 1, *prev_feat.shape[2:])
    return prev_feat + offset


# ----------------------------------------------------------------------------- modules
@MODELS.register_module()
class FFSDMutualLoss(nn.Module):
    """Deep mutual learning among the common students (FFSD §III-A; CIFARTrainer.py L247-271).

    ``L_i = loss_weight · (1 / (M − 1)) · Σ_{j ≠ i} KD_T(z_i ← sg z_j)`` with ``M`` the number of
    students (``len(peer_logits) + 1``). Reference: T = 2, weight 1.
    """

    def __init__(self, temperature: float = 2.0, loss_weight: float = 1.0):
        super().__init__()
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)

    def forward(self, logits: torch.Tensor, peer_logits: Sequence[torch.Tensor]) -> torch.Tensor:
        total = sum(kd_t(logits, peer, self.temperature) for peer in peer_logits)
        return self.loss_weight * total / len(peer_logits)


@MODELS.register_module()
class FFSDKDLoss(nn.Module):
    """``loss_weight · KD_T(z_s ← sg z_t)``: the fusion module from the mean student logits and
    the leader from the fusion logits (CIFARTrainer.py L278-281, L304-307). T = 2, weight 1."""

    def __init__(self, temperature: float = 2.0, loss_weight: float = 1.0):
        super().__init__()
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)

    def forward(self, s_logits: torch.Tensor, t_logits: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * kd_t(s_logits, t_logits, self.temperature)


@MODELS.register_module()
class FFSDDiversityLoss(nn.Module):
    """Attention-shift diversity of student ``i`` w.r.t. student ``i − 1`` at the deepest tap:
    ``loss_weight · L_div`` (:func:`diversity_loss`; reference weight λ_diversity = 1e-5)."""

    def __init__(self, loss_weight: float = 1e-5):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, feat: torch.Tensor, prev_feat: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * diversity_loss(feat, prev_feat)


@MODELS.register_module()
class FFSDAttentionLoss(nn.Module):
    """``loss_weight · Σ_l AttMSE(X_l, sg Y_l)`` over paired maps (one pair or lists).

    Used for the shift-guided self-distillation of student 2 (``X`` its shallow taps, ``Y`` the
    decoder outputs on the shifted map; weight λ_diversity), and for the leader's three feature
    terms (weight λ_fusion): fused attention ``AttMSE(F_L^L, G)``, trans fusion ``AttMSE(P, U)``
    and self-distillation ``Σ_l AttMSE(F_L^l, D_L(G)_l)``.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, x, y) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            x, y = [x], [y]
        if len(x) != len(y):
            raise ValueError(f'FFSDAttentionLoss: {len(x)} maps vs {len(y)} targets')
        return self.loss_weight * sum(attention_mse(a, b) for a, b in zip(x, y))


@MODELS.register_module()
class FFSDReconstructionLoss(nn.Module):
    """A decoder's reconstruction of its owner's shallow taps (``train_self_distillation_model``):

    ``loss_weight · Σ_l [FeatMSE(D_l, sg F^l) + AttMSE(D_l, sg F^l)]``
    (reference weight λ_self_distillation = 1000). ``forward`` returns the feature and attention
    sums separately (both already weighted), as the reference logs them.
    """

    def __init__(self, loss_weight: float = 1000.0):
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, decoded: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]):
        if len(decoded) != len(targets):
            raise ValueError(f'FFSDReconstructionLoss: {len(decoded)} decoded maps vs '
                             f'{len(targets)} targets')
        feat = sum(feature_mse(d, t) for d, t in zip(decoded, targets))
        att = sum(attention_mse(d, t) for d, t in zip(decoded, targets))
        return self.loss_weight * feat, self.loss_weight * att
