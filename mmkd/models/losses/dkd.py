"""Decoupled knowledge distillation (DKD, Zhao et al., CVPR 2022).

Reference: mdistiller ``mdistiller/distillers/DKD.py`` (mdistiller
CIFAR-100 defaults ``CE_WEIGHT 1.0, ALPHA 1.0, BETA 8.0, T 4.0, WARMUP 20``).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def dkd_loss(s_logits: torch.Tensor,
             t_logits: torch.Tensor,
             labels: torch.Tensor,
             alpha: float = 1.0,
             beta: float = 8.0,
             tau: float = 4.0) -> torch.Tensor:
    """``alpha · TCKD + beta · NCKD`` (no warm-up factor).

    With ``p = softmax(z / tau)`` over the K classes and ``g`` the ground-truth class:

    * TCKD ``= tau² · mean_b KL(b_t ‖ b_s)`` with the binary distribution
      ``b = [p_g, Σ_{k≠g} p_k]``;
    * NCKD ``= tau² · mean_b KL(p̂_t ‖ p̂_s)`` with ``p̂ = softmax`` of the K−1 non-target logits
      (divided by tau), i.e. the distribution among the non-target classes.

    The binary probabilities are taken in log space (log-sum-exp of the non-target
    log-probabilities), which equals the reference's ``log`` of summed probabilities without its
    underflow to ``log 0``.

    Args:
        s_logits: student logits ``(B, K)``.
        t_logits: teacher logits ``(B, K)``.
        labels: ground-truth class indices ``(B,)``.
        alpha: weight of TCKD.
        beta: weight of NCKD.
        tau: temperature.
    """
    s_logits, t_logits = s_logits.float(), t_logits.float()
    B, K = s_logits.shape
    labels = labels.reshape(-1).long()
    gt_mask = F.one_hot(labels, K).bool()

    log_p_s = F.log_softmax(s_logits / tau, dim=1)
    log_p_t = F.log_softmax(t_logits / tau, dim=1)

    def binary_log_probs(log_p):
        log_gt = log_p.gather(1, labels[:, None])
        log_other = log_p.masked_fill(gt_mask, float('-inf')).logsumexp(dim=1, keepdim=True)
        return torch.cat([log_gt, log_other], dim=1)

    log_b_s = binary_log_probs(log_p_s)
    log_b_t = binary_log_probs(log_p_t)
    tckd = F.kl_div(log_b_s, log_b_t.exp(), reduction='batchmean') * tau**2

    # non-target classes only: (B, K-1), order of the remaining classes kept
    s_other = s_logits[~gt_mask].view(B, K - 1)
    t_other = t_logits[~gt_mask].view(B, K - 1)
    nckd = F.kl_div(
        F.log_softmax(s_other / tau, dim=1), F.softmax(t_other / tau, dim=1),
        reduction='batchmean') * tau**2

    return alpha * tckd + beta * nckd


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled KD: ``L = loss_weight · (alpha · TCKD + beta · NCKD)``.

    TCKD is the temperature-scaled KL between the teacher's and the student's binary
    (target vs. all non-target classes) distributions; NCKD the KL between their distributions
    among the non-target classes (see :func:`dkd_loss`). Defaults are mdistiller's CIFAR-100 ones:
    ``tau = 4``, ``alpha = 1``, ``beta = 8`` (mdistiller tunes β per pair: 2, 6 or 8;
    mdistiller configs/cifar100/dkd/*.yaml), CE weight 1 (set on the classification loss, not here).

    Warm-up: mdistiller multiplies the DKD term by ``min(e / 20, 1)`` (1-based epoch ``e``).
    That is a property of the loss entry, not of the loss: declare it as
    ``weight_schedule=dict(type='LinearWarmup', epochs=20)`` next to ``type='DKDLoss'`` (see
    :mod:`mmkd.models.distillers.weight_schedules`; ``configs/_base_/methods/dkd.py`` does).

    Args:
        tau: temperature T.
        alpha: weight of TCKD.
        beta: weight of NCKD.
        loss_weight: extra multiplier (1 in mdistiller).
    """

    source = 'logits'

    def __init__(self,
                 tau: float = 4.0,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 loss_weight: float = 1.0,
                 warmup_epochs=None):
        super().__init__()
        if warmup_epochs is not None:
            raise ConfigError(
                'DKDLoss(warmup_epochs=...) is no longer an argument of the loss: declare the '
                "warm-up on the loss entry, e.g. dkd=dict(type='DKDLoss', weight_schedule="
                f"dict(type='LinearWarmup', epochs={warmup_epochs})) (drop it for none).")
        self.tau = tau
        self.alpha = alpha
        self.beta = beta
        self.loss_weight = loss_weight

    def forward(self, s_logits: torch.Tensor, t_logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        loss = dkd_loss(s_logits, t_logits, labels, self.alpha, self.beta, self.tau)
        return self.loss_weight * loss
